public import EndpointTestSupport
public import HTTPTypes
public import MCPCore
import Testing

/// Where tests find the MCP endpoint.
extension TestTransport {
    /// The endpoint's path: `/` unless the transport says otherwise.
    public var mcpPath: String { (self as? any MCPPathProviding)?.mcpPath ?? "/" }
}

/// A transport that serves the MCP endpoint somewhere other than `/`.
public protocol MCPPathProviding {
    var mcpPath: String { get }
}

/// One HTTP answer of the MCP endpoint, with its body parsed.
public struct MCPAnswer: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: String
    /// A streamed answer's body, running (endpoints called directly only).
    public var stream: StreamedBody?
    public var json: JSONValue? { try? JSONValue.parse(Array(self.body.utf8)) }
    public var result: JSONValue? { self.json?["result"] }
    public var errorCode: Int64? { self.json?["error"]?["code"]?.intValue }
    public var structured: JSONValue? { self.result?["structuredContent"] }
    public var isToolError: Bool { self.result?["isError"] == true }
    public var toolText: String? {
        self.result?["content"].flatMap { if case .array(let items) = $0 { items.first?["text"]?.stringValue } else { nil } }
    }
}

extension TestTransport {
    /// Sends raw bytes to the MCP endpoint.
    public func mcp(
        _ method: HTTPRequest.Method = .post,
        body: String? = nil,
        token: String? = "alice",
        headers extra: HTTPFields = [:],
        contentType: String? = "application/json",
        accept: String? = "application/json, text/event-stream"
    ) async throws -> MCPAnswer {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let contentType { headers[.contentType] = contentType }
        if let accept { headers[.accept] = accept }
        for field in extra { headers[field.name] = field.value }
        return try await self.execute(uri: self.mcpPath, method: method, headers: headers, body: body.map { Array($0.utf8) }) { response in
            MCPAnswer(status: response.status, headers: response.headers, body: response.text, stream: response.stream.map(StreamedBody.init))
        }
    }

    /// A 2026-07-28 request with every header and `_meta` field right, unless the test overrides them.
    public func modern(
        _ method: String,
        params: [String: JSONValue] = [:],
        id: JSONValue = 1,
        token: String? = "alice",
        version: String = "2026-07-28",
        headers extra: HTTPFields? = nil
    ) async throws -> MCPAnswer {
        var params = params
        var meta = params["_meta"]?.objectValue ?? [:]
        if meta["io.modelcontextprotocol/protocolVersion"] == nil { meta["io.modelcontextprotocol/protocolVersion"] = .string(version) }
        if meta["io.modelcontextprotocol/clientCapabilities"] == nil { meta["io.modelcontextprotocol/clientCapabilities"] = [:] }
        meta["io.modelcontextprotocol/clientInfo"] = ["name": "tests", "version": "1"]
        params["_meta"] = .object(meta)
        var headers: HTTPFields = [.mcpProtocolVersion: version, .mcpMethod: method]
        if let name = params["name"]?.stringValue { headers[.mcpName] = name }
        if let extra { headers = extra }
        let body: JSONValue = ["jsonrpc": "2.0", "id": id, "method": .string(method), "params": .object(params)]
        return try await self.mcp(body: body.jsonString, token: token, headers: headers)
    }

    /// A 2026-07-28 `tools/call`.
    public func callTool(_ name: String, _ arguments: [String: JSONValue] = [:], token: String? = "alice") async throws -> MCPAnswer {
        try await self.modern("tools/call", params: ["name": .string(name), "arguments": .object(arguments)], token: token)
    }

    /// Opens a legacy session and returns its id.
    public func initialize(version: String = "2025-11-25", token: String = "alice") async throws -> String {
        let answer = try await self.mcp(
            body: JSONValue([
                "jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": ["protocolVersion": .string(version), "capabilities": [:], "clientInfo": ["name": "tests", "version": "1"]],
            ]).jsonString,
            token: token
        )
        #expect(answer.status == .ok)
        return try #require(answer.headers[.mcpSessionID])
    }

    /// A legacy request in a session.
    public func legacy(
        _ method: String,
        params: [String: JSONValue] = [:],
        session: String?,
        id: JSONValue = 1,
        token: String? = "alice",
        version: String? = "2025-11-25"
    ) async throws -> MCPAnswer {
        var headers: HTTPFields = [:]
        if let session { headers[.mcpSessionID] = session }
        if let version { headers[.mcpProtocolVersion] = version }
        let body: JSONValue = ["jsonrpc": "2.0", "id": id, "method": .string(method), "params": .object(params)]
        return try await self.mcp(body: body.jsonString, token: token, headers: headers)
    }
}

extension JSONValue {
    public init(_ object: [String: JSONValue]) { self = .object(object) }
}

extension JSONText {
    /// The message parsed.
    public var json: JSONValue? { try? JSONValue.parse(Array(self.text.utf8)) }
}
