public import EndpointCore
public import Foundation
public import HTTPTypes
public import Logging

/// The MCP Streamable HTTP endpoint, transport-neutral: an HTTP request in, a response out.
///
/// It serves both protocol eras on one URL. A request whose `_meta` names a protocol version is a
/// 2026-07-28 (stateless) request; `initialize`, an `Mcp-Session-Id` or a legacy
/// `MCP-Protocol-Version` make it a legacy (session) request. Every request is authenticated by
/// its bearer token, never by its session.
///
/// A host server mounts it at ``MCPEndpointConfiguration/path`` (see ``routes``): it hands over
/// the request head and a way to read the body, and writes back the status, headers and body.
public struct MCPEndpoint: HTTPEndpoint {
    public let configuration: MCPEndpointConfiguration
    private let tools: [Tool]
    private let toolsByName: [String: Tool]
    private let authenticator: any BearerAuthenticator
    private let sessions: any MCPSessionStore
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let validator = SchemaValidator()

    static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    static let legacyVersions = ProtocolVersion.supported.filter(\.isLegacy)

    /// - Parameters:
    ///   - tools: the tools, in the order `tools/list` returns them.
    ///   - authenticator: turns bearer tokens into principals.
    ///   - sessions: where legacy sessions are kept.
    ///   - now: the clock for session expiry.
    public init(
        configuration: MCPEndpointConfiguration,
        tools: [Tool],
        authenticator: any BearerAuthenticator,
        sessions: any MCPSessionStore,
        now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger = Logger(label: "mcp")
    ) {
        self.configuration = configuration
        self.tools = tools
        self.toolsByName = Dictionary(tools.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.authenticator = authenticator
        self.sessions = sessions
        self.now = now
        self.logger = logger
    }

    /// The endpoint's path with the methods it answers.
    public var routes: [EndpointRoute] { [EndpointRoute(self.configuration.path, methods: [.post, .get, .delete, .options])] }

    /// Answers one HTTP request to the MCP endpoint.
    public func handle(_ request: HTTPRequest, body: some EndpointRequestBody, origin: RequestOrigin) async -> EndpointResponse {
        let origin = request.headerFields[.origin]
        if let origin, !self.configuration.allowedOrigins.contains(MCPEndpointConfiguration.normalizedOrigin(origin)) {
            return self.jsonResponse(
                JSONRPCError(.invalidRequest, "Origin '\(origin)' is not allowed to use this server.").response(id: nil),
                status: .forbidden
            )
        }
        var response: EndpointResponse
        switch request.method {
        case .options:
            response = EndpointResponse(status: .noContent, headerFields: [.allow: "GET, POST, DELETE, OPTIONS"])
            if origin != nil {
                response.headerFields[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
                response.headerFields[.accessControlAllowHeaders] =
                    "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID"
                response.headerFields[.accessControlMaxAge] = "86400"
            }
        case .post:
            response = await self.post(request, body: body)
        case .delete:
            response = await self.delete(request)
        default:
            // No server-initiated messages exist here, so there is no stream to open (GET) either.
            response = self.jsonResponse(
                JSONRPCError(.invalidRequest, "Use POST to send MCP messages to this endpoint.").response(id: nil),
                status: .methodNotAllowed
            )
            response.headerFields[.allow] = "POST, DELETE, OPTIONS"
        }
        if let origin {
            response.headerFields[.accessControlAllowOrigin] = origin
            response.headerFields[.vary] = "Origin"
            response.headerFields[.accessControlExposeHeaders] = "WWW-Authenticate, Mcp-Session-Id"
        }
        return response
    }

    // MARK: POST

    private func post(_ request: HTTPRequest, body: some EndpointRequestBody) async -> EndpointResponse {
        let principal: Principal
        switch await self.authenticate(request) {
        case .success(let authenticated): principal = authenticated
        case .failure(let challenge): return challenge.response
        }
        guard MediaType.is(request.headerFields[.contentType], "application/json") else {
            return self.jsonResponse(
                JSONRPCError(.invalidRequest, "Content-Type must be application/json.").response(id: nil),
                status: .unsupportedMediaType
            )
        }
        let accepted = AcceptedMediaTypes(request.headerFields[.accept])
        guard accepted.json || accepted.eventStream else {
            return self.jsonResponse(
                JSONRPCError(.invalidRequest, "Accept must allow application/json or text/event-stream.").response(id: nil),
                status: .notAcceptable
            )
        }
        let bytes: [UInt8]
        do {
            guard let collected = try await body.collect(upTo: self.configuration.maxBodyBytes) else {
                return self.jsonResponse(
                    JSONRPCError(.invalidRequest, "The request body exceeds \(self.configuration.maxBodyBytes) bytes.").response(id: nil),
                    status: .contentTooLarge
                )
            }
            bytes = collected
        } catch {
            return self.jsonResponse(JSONRPCError(.invalidRequest, "The request body could not be read.").response(id: nil), status: .badRequest)
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            let detail = (error as? JSONParser.Failure).map { ": \($0.reason) at byte \($0.offset)" } ?? ""
            return self.jsonResponse(JSONRPCError(.parseError, "The body is not valid JSON\(detail).").response(id: nil), status: .badRequest)
        }

        let reply: Reply
        if case .array(let batch) = value {
            reply = await self.batch(batch, request: request, principal: principal)
        } else {
            reply = await self.single(value, request: request, principal: principal)
        }
        return self.response(for: reply, eventStream: !accepted.json)
    }

    private func single(_ value: JSONValue, request: HTTPRequest, principal: Principal) async -> Reply {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.classify(value)
        } catch {
            return .message(error.error.response(id: error.id), status: .init(code: error.error.httpStatus))
        }
        switch message {
        case .notification, .response:
            if let sessionID = request.headerFields[.mcpSessionID], await self.activeSession(sessionID, for: principal) == nil {
                return self.sessionNotFound(id: nil)
            }
            return .accepted
        case .request(let id, let method, let params):
            if self.isModern(method: method, params: params, request: request) {
                return await self.modern(id: id, method: method, params: params, request: request, principal: principal)
            }
            return await self.legacy(id: id, method: method, params: params, request: request, principal: principal)
        }
    }

    /// Whether a request belongs to the 2026-07-28 era (see the type's documentation).
    private func isModern(method: String, params: [String: JSONValue], request: HTTPRequest) -> Bool {
        if params["_meta"]?[Self.protocolVersionKey] != nil { return true }
        if method == "initialize" || request.headerFields[.mcpSessionID] != nil { return false }
        if let header = request.headerFields[.mcpProtocolVersion], ProtocolVersion(rawValue: header).isLegacy { return false }
        return true
    }

    // MARK: 2026-07-28

    private func modern(id: JSONRPCID, method: String, params: [String: JSONValue], request: HTTPRequest, principal: Principal) async -> Reply {
        guard let headerVersion = request.headerFields[.mcpProtocolVersion] else {
            return self.failure(id, .headerMismatch, "The MCP-Protocol-Version header is required.", status: .badRequest)
        }
        guard let meta = params["_meta"]?.objectValue, case .string(let version)? = meta[Self.protocolVersionKey] else {
            return self.failure(
                id,
                .invalidParams,
                "params._meta must hold \"\(Self.protocolVersionKey)\" (a string) and \"\(Self.clientCapabilitiesKey)\" (an object). Legacy clients call initialize first.",
                status: .badRequest
            )
        }
        guard headerVersion == version else {
            return self.failure(
                id,
                .headerMismatch,
                "Header mismatch: MCP-Protocol-Version header value '\(headerVersion)' does not match body value '\(version)'.",
                status: .badRequest
            )
        }
        guard version == ProtocolVersion.v2026_07_28.rawValue else {
            return self.failure(
                id,
                .unsupportedProtocolVersion,
                "Unsupported protocol version",
                data: ["supported": .array(ProtocolVersion.supported.map { .string($0.rawValue) }), "requested": .string(version)],
                status: .badRequest
            )
        }
        guard case .object? = meta[Self.clientCapabilitiesKey] else {
            return self.failure(id, .invalidParams, "params._meta must hold \"\(Self.clientCapabilitiesKey)\" (an object).", status: .badRequest)
        }
        guard let methodHeader = request.headerFields[.mcpMethod] else {
            return self.failure(id, .headerMismatch, "The Mcp-Method header is required.", status: .badRequest)
        }
        guard methodHeader == method else {
            return self.failure(
                id,
                .headerMismatch,
                "Header mismatch: Mcp-Method header value '\(methodHeader)' does not match body value '\(method)'.",
                status: .badRequest
            )
        }

        let reply: Reply
        switch method {
        case "server/discover":
            reply = self.result(
                id,
                self.cacheable(
                    [
                        "supportedVersions": .array(ProtocolVersion.supported.map { .string($0.rawValue) }),
                        "capabilities": self.capabilities,
                    ].merging(self.instructionsField) { first, _ in first }
                )
            )
        case "tools/list":
            reply = self.result(id, self.cacheable(["tools": .array(self.tools.map(\.listing))]))
        case "tools/call":
            if case .string(let name)? = params["name"] {
                guard let header = request.headerFields[.mcpName] else {
                    return self.failure(id, .headerMismatch, "The Mcp-Name header is required for tools/call.", status: .badRequest)
                }
                guard let decoded = Self.decodeHeaderValue(header), decoded == name else {
                    return self.failure(
                        id,
                        .headerMismatch,
                        "Header mismatch: Mcp-Name header value '\(header)' does not match body value '\(name)'.",
                        status: .badRequest
                    )
                }
            }
            reply = await self.callTool(id: id, params: params, principal: principal)
        default:
            return self.failure(id, .methodNotFound, "Method not found: \(method)", status: .notFound)
        }
        return reply.completingModernResult(serverInfo: self.configuration.serverInfo.json)
    }

    /// A header value, with the `=?base64?…?=` sentinel form decoded; `nil` when the encoding is broken.
    static func decodeHeaderValue(_ value: String) -> String? {
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.utf8.count >= 11 else { return value }
        let encoded = String(value.dropFirst(9).dropLast(2))
        guard let data = Data(base64Encoded: encoded) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    private func cacheable(_ result: [String: JSONValue]) -> JSONValue {
        var result = result
        result["ttlMs"] = .int(Int64(self.configuration.listTTLMilliseconds))
        // Per-user data: never shared between tokens.
        result["cacheScope"] = "private"
        return .object(result)
    }

    private var capabilities: JSONValue { ["tools": ["listChanged": false]] }

    private var instructionsField: [String: JSONValue] {
        self.configuration.instructions.map { ["instructions": .string($0)] } ?? [:]
    }

    // MARK: Legacy

    private func legacy(id: JSONRPCID, method: String, params: [String: JSONValue], request: HTTPRequest, principal: Principal) async -> Reply {
        if let header = request.headerFields[.mcpProtocolVersion], method != "initialize",
            !Self.legacyVersions.contains(ProtocolVersion(rawValue: header))
        {
            return self.failure(
                id,
                .invalidRequest,
                "Unsupported MCP-Protocol-Version '\(header)'.",
                data: ["supported": .array(ProtocolVersion.supported.map { .string($0.rawValue) }), "requested": .string(header)],
                status: .badRequest
            )
        }
        if method == "initialize" {
            return await self.initialize(id: id, params: params, principal: principal)
        }
        guard let sessionID = request.headerFields[.mcpSessionID] else {
            return self.failure(
                id,
                .invalidRequest,
                "The Mcp-Session-Id header is required: call initialize first, or send params._meta for protocol 2026-07-28.",
                status: .badRequest
            )
        }
        guard let session = await self.activeSession(sessionID, for: principal) else { return self.sessionNotFound(id: id) }
        return await self.legacyMethod(id: id, method: method, params: params, session: session, principal: principal)
    }

    private func legacyMethod(id: JSONRPCID, method: String, params: [String: JSONValue], session: MCPSession, principal: Principal) async -> Reply {
        switch method {
        case "ping":
            return self.result(id, [:])
        case "tools/list":
            return self.result(id, ["tools": .array(self.tools.map(\.listing))])
        case "tools/call":
            return await self.callTool(id: id, params: params, principal: principal)
        case "initialize":
            return self.failure(id, .invalidRequest, "initialize must be sent on its own, not in a batch.")
        default:
            return self.failure(id, .methodNotFound, "Method not found: \(method)")
        }
    }

    private func initialize(id: JSONRPCID, params: [String: JSONValue], principal: Principal) async -> Reply {
        guard case .string(let requested)? = params["protocolVersion"] else {
            return self.failure(id, .invalidParams, "params.protocolVersion must be a string.")
        }
        let requestedVersion = ProtocolVersion(rawValue: requested)
        let version = Self.legacyVersions.contains(requestedVersion) ? requestedVersion : Self.legacyVersions[0]
        let now = self.now()
        let session = MCPSession(id: MCPSession.newID(), subject: principal.subject, protocolVersion: version, createdAt: now, lastUsedAt: now)
        do {
            let ended = try await self.sessions.insert(session, keepingAtMost: self.configuration.maxSessionsPerSubject)
            if !ended.isEmpty {
                self.logger.info(
                    "Ended the least recently used MCP sessions of a user at the limit",
                    metadata: ["mcp.sessions.ended": "\(ended.count)"]
                )
            }
        } catch {
            self.logger.error("Could not store an MCP session: \(error)")
            return self.failure(id, .internalError, "The session could not be created.", status: .internalServerError)
        }
        var result: [String: JSONValue] = [
            "protocolVersion": .string(version.rawValue),
            "capabilities": self.capabilities,
            "serverInfo": self.configuration.serverInfo.json,
        ]
        result.merge(self.instructionsField) { first, _ in first }
        return .message(
            ["jsonrpc": "2.0", "id": id.json, "result": .object(result)],
            status: .ok,
            headers: [.mcpSessionID: session.id]
        )
    }

    /// The session `id` if it exists, has not idled out and belongs to `principal`.
    private func activeSession(_ id: String, for principal: Principal) async -> MCPSession? {
        do {
            guard let session = try await self.sessions.session(id: id) else { return nil }
            guard session.subject == principal.subject else {
                self.logger.warning("A token of another user presented an MCP session id", metadata: ["mcp.session.owner": "\(session.subject)"])
                return nil
            }
            let now = self.now()
            if now.timeIntervalSince(session.lastUsedAt) > self.configuration.sessionIdleTimeout {
                try await self.sessions.delete(id: id)
                return nil
            }
            // Record use at most once a minute: enough for idle expiry, without a write per request.
            if now.timeIntervalSince(session.lastUsedAt) > 60 { try await self.sessions.touch(id: id, at: now) }
            return session
        } catch {
            self.logger.error("Could not read an MCP session: \(error)")
            return nil
        }
    }

    private func sessionNotFound(id: JSONRPCID?) -> Reply {
        .message(
            JSONRPCError(.invalidRequest, "Session not found or expired: call initialize to start a new session.").response(id: id),
            status: .notFound
        )
    }

    private func batch(_ elements: [JSONValue], request: HTTPRequest, principal: Principal) async -> Reply {
        guard !elements.isEmpty else {
            return .message(JSONRPCError(.invalidRequest, "An empty batch is not a request.").response(id: nil), status: .badRequest)
        }
        guard let sessionID = request.headerFields[.mcpSessionID], let session = await self.activeSession(sessionID, for: principal),
            session.protocolVersion == .v2025_03_26
        else {
            return .message(
                JSONRPCError(.invalidRequest, "JSON-RPC batches are accepted only in 2025-03-26 sessions; send one message per request.")
                    .response(id: nil),
                status: .badRequest
            )
        }
        guard elements.count <= self.configuration.maxBatchSize else {
            return .message(
                JSONRPCError(
                    .invalidRequest,
                    "A batch may hold at most \(self.configuration.maxBatchSize) messages; this one holds \(elements.count)."
                )
                .response(id: nil),
                status: .badRequest
            )
        }
        let messages = elements.map { element in Result { () throws(IdentifiedError) in try JSONRPCMessage.classify(element) } }
        // Every scope is checked before anything runs, so a refused call cannot leave the writes
        // before it done.
        for message in messages {
            guard case .success(.request(_, let method, let params)) = message, method == "tools/call",
                case .string(let name)? = params["name"], let tool = self.toolsByName[name]
            else { continue }
            if let refusal = self.scopeRefusal(tool, principal) { return refusal.reply }
        }
        var responses: [JSONValue] = []
        for message in messages {
            switch message {
            case .failure(let error):
                responses.append(error.error.response(id: error.id))
            case .success(.request(let id, let method, let params)):
                switch await self.legacyMethod(id: id, method: method, params: params, session: session, principal: principal) {
                case .accepted: continue
                case .message(let response, let status, _) where status == .ok: responses.append(response)
                case let reply: return reply  // an HTTP-level refusal answers the whole batch
                }
            case .success: continue
            }
        }
        return responses.isEmpty ? .accepted : .message(.array(responses), status: .ok)
    }

    // MARK: DELETE

    private func delete(_ request: HTTPRequest) async -> EndpointResponse {
        let principal: Principal
        switch await self.authenticate(request) {
        case .success(let authenticated): principal = authenticated
        case .failure(let challenge): return challenge.response
        }
        guard let sessionID = request.headerFields[.mcpSessionID] else {
            return self.jsonResponse(JSONRPCError(.invalidRequest, "The Mcp-Session-Id header is required.").response(id: nil), status: .badRequest)
        }
        guard await self.activeSession(sessionID, for: principal) != nil else {
            return self.response(for: self.sessionNotFound(id: nil), eventStream: false)
        }
        do {
            try await self.sessions.delete(id: sessionID)
        } catch {
            self.logger.error("Could not delete an MCP session: \(error)")
            return self.jsonResponse(JSONRPCError(.internalError, "The session could not be ended.").response(id: nil), status: .internalServerError)
        }
        return EndpointResponse(status: .noContent)
    }

    // MARK: Tools

    private func callTool(id: JSONRPCID, params: [String: JSONValue], principal: Principal) async -> Reply {
        guard case .string(let name)? = params["name"] else {
            return self.failure(id, .invalidParams, "params.name must be the name of a tool.")
        }
        guard let tool = self.toolsByName[name] else {
            return self.failure(id, .invalidParams, "Unknown tool '\(name)'. Call tools/list for the tools this server offers.")
        }
        let arguments: [String: JSONValue]
        switch params["arguments"] {
        case nil, .null?: arguments = [:]
        case .object(let object)?: arguments = object
        default: return self.failure(id, .invalidParams, "params.arguments must be an object.")
        }
        if let refusal = self.scopeRefusal(tool, principal) { return refusal.reply }
        let problems = self.validator.violations(of: tool.inputSchema, by: .object(arguments))
        guard problems.isEmpty else {
            return self.result(id, ToolResult.error("Invalid arguments for \(name): " + problems.joined(separator: " ")).json)
        }
        do {
            return self.result(id, try await tool.handler(ToolCall(arguments: arguments, principal: principal)).json)
        } catch let error as ToolError {
            return self.result(id, ToolResult.error(error.message).json)
        } catch {
            self.logger.error("Tool \(name) failed: \(error)")
            return self.failure(id, .internalError, "The tool \(name) failed on the server. Try again later.")
        }
    }

    /// The 403 challenge when `principal` lacks a scope `tool` needs.
    private func scopeRefusal(_ tool: Tool, _ principal: Principal) -> Challenge? {
        let missing = tool.requiredScopes.filter { !principal.scopes.contains($0) }
        guard !missing.isEmpty else { return nil }
        return Challenge.insufficientScope(
            scope: principal.scopes.union(tool.requiredScopes).sorted().joined(separator: " "),
            description: "The tool \(tool.name) needs the scope \(missing.joined(separator: " ")).",
            resourceMetadataURL: self.configuration.resourceMetadataURL
        )
    }

    // MARK: Authentication

    private func authenticate(_ request: HTTPRequest) async -> Result<Principal, Challenge> {
        let metadata = self.configuration.resourceMetadataURL
        guard let authorization = request.headerFields[.authorization] else {
            return .failure(.unauthorized(error: nil, description: "This server needs an OAuth access token.", resourceMetadataURL: metadata))
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .failure(
                .unauthorized(
                    error: "invalid_token",
                    description: "Send the access token as: Authorization: Bearer <token>.",
                    resourceMetadataURL: metadata
                )
            )
        }
        guard
            let principal = await self.authenticator.authenticate(token: String(parts[1].trimmingHTTPWhitespace))
        else {
            return .failure(
                .unauthorized(error: "invalid_token", description: "The access token is invalid or expired.", resourceMetadataURL: metadata)
            )
        }
        return .success(principal)
    }

    // MARK: Responses

    private func result(_ id: JSONRPCID, _ result: JSONValue) -> Reply {
        .message(["jsonrpc": "2.0", "id": id.json, "result": result], status: .ok)
    }

    private func failure(
        _ id: JSONRPCID?,
        _ code: JSONRPCErrorCode,
        _ message: String,
        data: JSONValue? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Reply {
        .message(JSONRPCError(code, message, data: data).response(id: id), status: status)
    }

    private func response(for reply: Reply, eventStream: Bool) -> EndpointResponse {
        switch reply {
        case .accepted:
            return EndpointResponse(status: .accepted)
        case .message(let message, let status, let headers):
            var response: EndpointResponse
            if eventStream && status == .ok {
                response = EndpointResponse(
                    status: status,
                    headerFields: [.contentType: "text/event-stream", .cacheControl: "no-store", .xAccelBuffering: "no"],
                    body: Array("event: message\ndata: ".utf8) + message.serialized() + Array("\n\n".utf8)
                )
            } else {
                response = self.jsonResponse(message, status: status)
            }
            response.headerFields.append(contentsOf: headers)
            return response
        }
    }

    private func jsonResponse(_ message: JSONValue, status: HTTPResponse.Status) -> EndpointResponse {
        EndpointResponse(status: status, headerFields: [.contentType: "application/json", .cacheControl: "no-store"], body: message.serialized())
    }
}

/// How one JSON-RPC message is answered.
enum Reply {
    /// 202 with no body: for notifications and responses.
    case accepted
    /// A JSON-RPC response (or array of them) with its HTTP status and extra headers.
    case message(JSONValue, status: HTTPResponse.Status, headers: HTTPFields = [:])

    /// A 2026-07-28 result: with `resultType` and the server's `serverInfo` in `_meta`.
    func completingModernResult(serverInfo: JSONValue) -> Reply {
        guard case .message(.object(var response), let status, let headers) = self, case .object(var result)? = response["result"] else {
            return self
        }
        result["resultType"] = "complete"
        var meta = result["_meta"]?.objectValue ?? [:]
        meta[MCPEndpoint.serverInfoKey] = serverInfo
        result["_meta"] = .object(meta)
        response["result"] = .object(result)
        return .message(.object(response), status: status, headers: headers)
    }
}

/// A refusal on authorization grounds, with its RFC 6750 challenge.
struct Challenge: Error {
    var status: HTTPResponse.Status
    var wwwAuthenticate: String
    var error: String
    var description: String

    static func unauthorized(error: String?, description: String, resourceMetadataURL: String) -> Challenge {
        var parameters = ["resource_metadata=\"\(resourceMetadataURL)\""]
        if let error { parameters += ["error=\"\(error)\"", "error_description=\"\(description)\""] }
        return Challenge(
            status: .unauthorized,
            wwwAuthenticate: "Bearer " + parameters.joined(separator: ", "),
            error: error ?? "invalid_request",
            description: description
        )
    }

    static func insufficientScope(scope: String, description: String, resourceMetadataURL: String) -> Challenge {
        Challenge(
            status: .forbidden,
            wwwAuthenticate:
                "Bearer error=\"insufficient_scope\", scope=\"\(scope)\", resource_metadata=\"\(resourceMetadataURL)\", error_description=\"\(description)\"",
            error: "insufficient_scope",
            description: description
        )
    }

    var reply: Reply {
        .message(
            ["error": .string(self.error), "error_description": .string(self.description)],
            status: self.status,
            headers: [.wwwAuthenticate: self.wwwAuthenticate]
        )
    }

    var response: EndpointResponse {
        EndpointResponse(
            status: self.status,
            headerFields: [.contentType: "application/json", .cacheControl: "no-store", .wwwAuthenticate: self.wwwAuthenticate],
            body: JSONValue.object(["error": .string(self.error), "error_description": .string(self.description)]).serialized()
        )
    }
}
