public import HTTPTypes

/// A JSON-RPC request id: a string or an integer, never null.
public enum JSONRPCID: Hashable, Sendable {
    /// A string id.
    case string(String)
    /// An integer id.
    case int(Int64)

    /// The id of a JSON value, if it is a valid id.
    init?(_ value: JSONValue) {
        switch value {
        case .string(let string): self = .string(string)
        case .int(let int): self = .int(int)
        default: return nil
        }
    }

    var json: JSONValue {
        switch self {
        case .string(let string): .string(string)
        case .int(let int): .int(int)
        }
    }
}

/// A JSON-RPC error code. An open set: the JSON-RPC codes, MCP's own, and any a server adds.
public struct JSONRPCErrorCode: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The body is not valid JSON.
    public static let parseError = JSONRPCErrorCode(rawValue: -32700)
    /// The body is JSON but not a valid JSON-RPC message.
    public static let invalidRequest = JSONRPCErrorCode(rawValue: -32600)
    /// No such method.
    public static let methodNotFound = JSONRPCErrorCode(rawValue: -32601)
    /// The params are not what the method takes.
    public static let invalidParams = JSONRPCErrorCode(rawValue: -32602)
    /// The server failed.
    public static let internalError = JSONRPCErrorCode(rawValue: -32603)
    /// MCP 2026-07-28: an `Mcp-*` or `MCP-Protocol-Version` header is missing or disagrees with the body.
    public static let headerMismatch = JSONRPCErrorCode(rawValue: -32020)
    /// MCP 2026-07-28: the request needs a client capability the client did not declare.
    public static let missingRequiredClientCapability = JSONRPCErrorCode(rawValue: -32021)
    /// MCP 2026-07-28: the protocol version is not one the server speaks.
    public static let unsupportedProtocolVersion = JSONRPCErrorCode(rawValue: -32022)
}

/// A JSON-RPC error, and the HTTP status it travels with.
public struct JSONRPCError: Error, Hashable, Sendable {
    /// What kind of error it is.
    public var code: JSONRPCErrorCode
    /// A short description of the error for the client.
    public var message: String
    /// Further information for the client, sent as `data` when present.
    public var data: JSONValue?
    /// The HTTP status of the response that carries this error.
    public var httpStatus: HTTPResponse.Status

    /// Makes an error; it travels in a 200 response unless `httpStatus` says otherwise.
    public init(_ code: JSONRPCErrorCode, _ message: String, data: JSONValue? = nil, httpStatus: HTTPResponse.Status = .ok) {
        self.code = code
        self.message = message
        self.data = data
        self.httpStatus = httpStatus
    }

    /// The error response for the request `id` (`null` when the id could not be read), as bytes.
    package func serializedResponse(id: JSONRPCID?) -> [UInt8] { self.response(id: id).serialized() }

    /// The error response for the request `id` (`null` when the id could not be read).
    package func response(id: JSONRPCID?) -> JSONValue {
        var error: [String: JSONValue] = ["code": .int(Int64(self.code.rawValue)), "message": .string(self.message)]
        if let data = self.data { error["data"] = data }
        return ["jsonrpc": "2.0", "id": id?.json ?? .null, "error": .object(error)]
    }
}

/// A JSON-RPC message from the client, as classified from its JSON.
package enum JSONRPCMessage {
    /// A request: it has a method and an id and wants a response.
    case request(id: JSONRPCID, method: String, params: [String: JSONValue])
    /// A notification: a method without an id.
    case notification(method: String)
    /// A response to a request of the server.
    case response

    /// Classifies `value`.
    ///
    /// - Throws: ``JSONRPCError`` with `invalidRequest` when the value is no JSON-RPC 2.0 message;
    ///   `id` is set to the request's id when it could be read.
    package static func classify(_ value: JSONValue) throws(IdentifiedError) -> JSONRPCMessage {
        guard case .object(let object) = value else {
            throw IdentifiedError(id: nil, error: JSONRPCError(.invalidRequest, "A JSON-RPC message must be a JSON object.", httpStatus: .badRequest))
        }
        let id = object["id"].flatMap(JSONRPCID.init)
        guard object["jsonrpc"] == "2.0" else {
            throw IdentifiedError(id: id, error: JSONRPCError(.invalidRequest, #"The message must have "jsonrpc": "2.0"."#, httpStatus: .badRequest))
        }
        if let method = object["method"] {
            guard case .string(let name) = method else {
                throw IdentifiedError(id: id, error: JSONRPCError(.invalidRequest, "The method must be a string.", httpStatus: .badRequest))
            }
            var params: [String: JSONValue] = [:]
            switch object["params"] {
            case nil: break
            case .object(let object)?: params = object
            default:
                throw IdentifiedError(id: id, error: JSONRPCError(.invalidRequest, "The params must be an object.", httpStatus: .badRequest))
            }
            guard let rawID = object["id"] else { return .notification(method: name) }
            guard let id = JSONRPCID(rawID) else {
                throw IdentifiedError(id: nil, error: JSONRPCError(.invalidRequest, "The id must be a string or an integer.", httpStatus: .badRequest))
            }
            return .request(id: id, method: name, params: params)
        }
        if id != nil, object["result"] != nil || object["error"] != nil { return .response }
        throw IdentifiedError(
            id: id,
            error: JSONRPCError(.invalidRequest, "The message is neither a request, a notification nor a response.", httpStatus: .badRequest)
        )
    }
}

/// A JSON-RPC error together with the id of the request it answers.
package struct IdentifiedError: Error {
    package var id: JSONRPCID?
    package var error: JSONRPCError
}
