import EndpointCore
import HTTPTypes

/// JSON-RPC dispatch: classifying a message, choosing its era, batches, and writing responses.
extension MCPEndpoint {
    func single(_ value: JSONValue, request: HTTPRequest, principal: Principal) async -> Reply {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.classify(value)
        } catch {
            return .message(error.error.serializedResponse(id: error.id), status: error.error.httpStatus)
        }
        switch message {
        case .notification, .response:
            if let sessionID = request.headerFields.value(.mcpSessionID), await self.activeSession(sessionID, for: principal) == nil {
                return self.sessionNotFound(id: nil)
            }
            return .accepted
        case .request(let id, let method, let params):
            let reply: Reply
            if self.isModern(method: method, params: params, request: request) {
                reply = await self.modern(id: id, method: method, params: params, request: request, principal: principal)
            } else {
                reply = await self.legacy(id: id, method: method, params: params, request: request, principal: principal)
            }
            // Tool calls report themselves, knowing whether the tool's result was an error.
            if let observer = self.observer, method != "tools/call" {
                observer.requestAnswered(method: Self.knownMethods.contains(method) ? method : "other", tool: nil, outcome: reply.outcome)
            }
            return reply
        }
    }

    /// The methods reported by name to the observer.
    static let knownMethods: Set<String> = [
        "initialize", "ping", "tools/list", "server/discover", "prompts/list", "prompts/get", "resources/list",
        "resources/templates/list", "resources/read", "resources/subscribe", "resources/unsubscribe", "subscriptions/listen",
        "logging/setLevel", "completion/complete",
    ]

    /// Whether a request belongs to the 2026-07-28 era (see the type's documentation).
    func isModern(method: String, params: [String: JSONValue], request: HTTPRequest) -> Bool {
        if params["_meta"]?[Self.protocolVersionKey] != nil { return true }
        if method == "initialize" || request.headerFields.value(.mcpSessionID) != nil { return false }
        if let header = request.headerFields.value(.mcpProtocolVersion), ProtocolVersion(rawValue: header).isLegacy { return false }
        return true
    }

    func batch(_ elements: [JSONValue], request: HTTPRequest, principal: Principal) async -> Reply {
        guard !elements.isEmpty else {
            return .message(JSONRPCError(.invalidRequest, "An empty batch is not a request.").serializedResponse(id: nil), status: .badRequest)
        }
        guard let sessionID = request.headerFields.value(.mcpSessionID), let session = await self.activeSession(sessionID, for: principal),
            session.protocolVersion == .v2025_03_26
        else {
            return .message(
                JSONRPCError(.invalidRequest, "JSON-RPC batches are accepted only in 2025-03-26 sessions; send one message per request.")
                    .serializedResponse(id: nil),
                status: .badRequest
            )
        }
        guard elements.count <= self.configuration.maxBatchSize else {
            return .message(
                JSONRPCError(
                    .invalidRequest,
                    "A batch may hold at most \(self.configuration.maxBatchSize) messages; this one holds \(elements.count)."
                )
                .serializedResponse(id: nil),
                status: .badRequest
            )
        }
        let messages = elements.map { element in Result { () throws(IdentifiedError) in try JSONRPCMessage.classify(element) } }
        // Every scope is checked before anything runs, so a refused call cannot leave the writes
        // before it done.
        for message in messages {
            guard case .success(.request(_, let method, let params)) = message else { continue }
            if let refusal = self.scopeRefusal(method: method, params: params, principal) { return refusal.reply }
        }
        var responses: [[UInt8]] = []
        for message in messages {
            switch message {
            case .failure(let error):
                responses.append(error.error.serializedResponse(id: error.id))
            case .success(.request(let id, let method, let params)):
                switch await self.legacyMethod(id: id, method: method, params: params, session: session, principal: principal) {
                case .accepted: continue
                case .message(let response, let status, _) where status == .ok: responses.append(response)
                case let reply: return reply  // an HTTP-level refusal answers the whole batch
                }
            case .success: continue
            }
        }
        guard !responses.isEmpty else { return .accepted }
        var body: [UInt8] = [UInt8(ascii: "[")]
        for (index, response) in responses.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: response)
        }
        body.append(UInt8(ascii: "]"))
        return .message(body, status: .ok)
    }

    /// The 403 challenge when `principal` lacks a scope that `method` with `params` needs.
    func scopeRefusal(method: String, params: [String: JSONValue], _ principal: Principal) -> Challenge? {
        switch method {
        case "tools/call":
            guard case .string(let name)? = params["name"], let tool = self.toolsByName[name] else { return nil }
            return self.scopeRefusal(tool, principal)
        case "prompts/get":
            guard case .string(let name)? = params["name"], let prompt = self.promptsByName[name] else { return nil }
            return self.scopeRefusal(needing: prompt.requiredScopes, for: "The prompt \(name)", principal)
        case "resources/list", "resources/read", "resources/subscribe", "resources/unsubscribe":
            // An app view is the same for every caller: any valid token may read it.
            if method == "resources/read", case .string(let uri)? = params["uri"], self.appView(answering: uri) != nil { return nil }
            guard let resources = self.resources else { return nil }
            return self.scopeRefusal(needing: resources.requiredScopes, for: "Using resources", principal)
        default:
            return nil
        }
    }

    // MARK: Writing responses

    /// A success response whose result has the members of `object`; a 2026-07-28 result also gets
    /// `resultType` and the server's `serverInfo` in `_meta`, written directly (results of this
    /// server carry no `_meta` of their own).
    func result(_ id: JSONRPCID, _ object: [String: JSONValue], era: Era) -> Reply {
        self.success(id, era: era) { JSONValue.writeMembers(of: object, to: &$0) }
    }

    /// A success response whose result members `writeMembers` appends (without braces).
    func success(_ id: JSONRPCID, era: Era, _ writeMembers: (inout [UInt8]) -> Void) -> Reply {
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        output.append(contentsOf: #"{"id":"#.utf8)
        id.json.write(to: &output)
        output.append(contentsOf: #","jsonrpc":"2.0","result":{"#.utf8)
        let membersStart = output.count
        writeMembers(&output)
        if era == .modern {
            if output.count > membersStart { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: self.modernEnvelope)
        }
        output.append(contentsOf: "}}".utf8)
        return .message(output, status: .ok)
    }

    func failure(
        _ id: JSONRPCID?,
        _ code: JSONRPCErrorCode,
        _ message: String,
        data: JSONValue? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Reply {
        .message(JSONRPCError(code, message, data: data).serializedResponse(id: id), status: status)
    }
}

/// The protocol era a response is written for.
enum Era {
    /// 2025-11-25 and earlier: results as they are.
    case legacy
    /// 2026-07-28: results carry `resultType` and the server's `serverInfo`.
    case modern
}

/// How one JSON-RPC message is answered.
enum Reply {
    /// 202 with no body: for notifications and responses.
    case accepted
    /// A serialized JSON-RPC response (or array of them) with its HTTP status and extra headers.
    case message([UInt8], status: HTTPResponse.Status, headers: HTTPFields = [:])
    /// A response that streams server-sent events, such as `subscriptions/listen`.
    case stream(EndpointResponse)

    /// How the request ended: a result (``MCPEndpoint/success(_:era:_:)`` writes the id first, an
    /// error response never does) or an error, whatever its HTTP status.
    var outcome: MCPOutcome {
        switch self {
        case .accepted, .stream: .success
        case .message(let body, _, _): body.starts(with: #"{"id":"#.utf8) ? .success : .error
        }
    }
}
