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
///
/// ```swift
/// let endpoint = MCPEndpoint(
///     configuration: MCPEndpointConfiguration(
///         serverInfo: ServerInfo(name: "notes", version: "1.0.0"),
///         path: "/mcp",
///         resourceMetadataURL: "https://example.com/.well-known/oauth-protected-resource/mcp",
///         allowedOrigins: ["https://example.com"]
///     ),
///     tools: [echo],
///     authenticator: myTokenCheck,
///     sessions: InMemorySessionStore()
/// )
/// ```
///
/// The work is split by concern: this file keeps the HTTP transport rules; JSON-RPC dispatch,
/// the two protocol eras and tool calls live in the extensions beside it.
public struct MCPEndpoint: HTTPEndpoint {
    /// How the endpoint describes itself and which limits it applies.
    public let configuration: MCPEndpointConfiguration
    let tools: [Tool]
    let toolsByName: [String: Tool]
    let prompts: [Prompt]
    let promptsByName: [String: Prompt]
    let resources: (any ResourceProvider)?
    /// The app views the tools link to, each once.
    let appViews: [AppView]
    /// The open notification streams and legacy subscriptions.
    let streams = NotificationStreams()
    let authenticator: any BearerAuthenticator
    let sessions: any MCPSessionStore
    let now: @Sendable () -> Date
    let logger: Logger
    let observer: (any MCPObserver)?
    let validator = SchemaValidator()
    /// The members every 2026-07-28 result ends with, serialized once: `resultType` and `_meta`
    /// with the server's `serverInfo`.
    let modernEnvelope: [UInt8]

    static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    static let legacyVersions = ProtocolVersion.supported.filter(\.isLegacy)

    /// Makes an endpoint serving `tools`, and `prompts` and `resources` when given.
    /// - Parameters:
    ///   - configuration: how the endpoint describes itself, where it is mounted and its limits.
    ///   - tools: the tools, in the order `tools/list` returns them.
    ///   - prompts: the prompts, in the order `prompts/list` returns them.
    ///   - resources: the resources, and their live changes for subscriptions.
    ///   - authenticator: turns bearer tokens into principals.
    ///   - sessions: where legacy sessions are kept.
    ///   - now: the clock for session expiry.
    ///   - logger: where failures of storage and tools are logged.
    ///   - observer: hears how each request ended, for metrics.
    public init(
        configuration: MCPEndpointConfiguration,
        tools: [Tool],
        prompts: [Prompt] = [],
        resources: (any ResourceProvider)? = nil,
        authenticator: any BearerAuthenticator,
        sessions: any MCPSessionStore,
        now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger = Logger(label: "mcp"),
        observer: (any MCPObserver)? = nil
    ) {
        self.configuration = configuration
        self.tools = tools
        self.toolsByName = Dictionary(tools.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.prompts = prompts
        self.promptsByName = Dictionary(prompts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.resources = resources
        var appViews: [AppView] = []
        for view in tools.compactMap(\.app) {
            if let known = appViews.first(where: { $0.baseURI == view.baseURI }) {
                precondition(known == view, "Two different app views share the URI \(view.baseURI)")
            } else {
                appViews.append(view)
            }
        }
        self.appViews = appViews
        self.authenticator = authenticator
        self.sessions = sessions
        self.now = now
        self.logger = logger
        self.observer = observer
        var envelope = Array(#""resultType":"complete","_meta":{"#.utf8)
        JSONValue.writeString(Self.serverInfoKey, to: &envelope)
        envelope.append(UInt8(ascii: ":"))
        configuration.serverInfo.json.write(to: &envelope)
        envelope.append(UInt8(ascii: "}"))
        self.modernEnvelope = envelope
    }

    /// The endpoint's path with the methods it answers.
    public var routes: [EndpointRoute] { [EndpointRoute(self.configuration.path, methods: [.post, .get, .delete, .options])] }

    /// Answers one HTTP request to the MCP endpoint.
    public func handle(_ request: HTTPRequest, body: some EndpointRequestBody, origin: RequestOrigin) async -> EndpointResponse {
        let browserOrigin = request.headerFields.value(.origin)
        if let browserOrigin, !self.configuration.allowedOrigins.contains(MCPEndpointConfiguration.normalizedOrigin(browserOrigin)) {
            return self.jsonResponse(
                JSONRPCError(.invalidRequest, "Origin '\(browserOrigin)' is not allowed to use this server.").response(id: nil),
                status: .forbidden
            )
        }
        var response: EndpointResponse
        switch request.method {
        case .options:
            response = EndpointResponse(status: .noContent, headerFields: [.allow: "GET, POST, DELETE, OPTIONS"])
            if browserOrigin != nil {
                response.headerFields[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
                response.headerFields[.accessControlAllowHeaders] =
                    "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID"
                response.headerFields[.accessControlMaxAge] = "86400"
            }
        case .post:
            response = await self.post(request, body: body)
        case .delete:
            response = await self.delete(request)
        case .get:
            // Only a legacy session has a GET stream; 2026-07-28 listens with a POST.
            guard let sessionID = request.headerFields.value(.mcpSessionID) else {
                response = self.methodNotAllowed()
                break
            }
            switch await self.authenticate(request) {
            case .success(let principal): response = await self.legacyStream(request, sessionID: sessionID, principal: principal)
            case .failure(let challenge): response = challenge.response
            }
        default:
            response = self.methodNotAllowed()
        }
        if let browserOrigin {
            response.headerFields[.accessControlAllowOrigin] = browserOrigin
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
        guard MediaType.is(request.headerFields.value(.contentType), "application/json") else {
            return self.jsonResponse(
                JSONRPCError(.invalidRequest, "Content-Type must be application/json.").response(id: nil),
                status: .unsupportedMediaType
            )
        }
        let accepted = AcceptedMediaTypes(request.headerFields.value(.accept))
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

    /// 405 for a method the endpoint does not take (and a GET without a legacy session: the
    /// 2026-07-28 era has no GET stream).
    func methodNotAllowed() -> EndpointResponse {
        var response = self.jsonResponse(
            JSONRPCError(.invalidRequest, "Use POST to send MCP messages to this endpoint; a GET stream needs an Mcp-Session-Id.")
                .response(id: nil),
            status: .methodNotAllowed
        )
        response.headerFields[.allow] = "GET, POST, DELETE, OPTIONS"
        return response
    }

    // MARK: DELETE

    private func delete(_ request: HTTPRequest) async -> EndpointResponse {
        let principal: Principal
        switch await self.authenticate(request) {
        case .success(let authenticated): principal = authenticated
        case .failure(let challenge): return challenge.response
        }
        guard let sessionID = request.headerFields.value(.mcpSessionID) else {
            return self.jsonResponse(JSONRPCError(.invalidRequest, "The Mcp-Session-Id header is required.").response(id: nil), status: .badRequest)
        }
        guard await self.activeSession(sessionID, for: principal) != nil else {
            return self.response(for: self.sessionNotFound(id: nil), eventStream: false)
        }
        do {
            try await self.sessions.delete(id: sessionID)
            self.streams.forget(session: sessionID, subject: principal.subject)
        } catch {
            self.logger.error("Could not delete an MCP session: \(error)")
            return self.jsonResponse(JSONRPCError(.internalError, "The session could not be ended.").response(id: nil), status: .internalServerError)
        }
        return EndpointResponse(status: .noContent)
    }

    // MARK: Authentication

    private func authenticate(_ request: HTTPRequest) async -> Result<Principal, Challenge> {
        let metadata = self.configuration.resourceMetadataURL
        guard request.headerFields.value(.authorization) != nil else {
            return .failure(.unauthorized(error: nil, description: "This server needs an OAuth access token.", resourceMetadataURL: metadata))
        }
        guard let token = Self.bearerToken(request) else {
            return .failure(
                .unauthorized(
                    error: "invalid_token",
                    description: "Send the access token as: Authorization: Bearer <token>.",
                    resourceMetadataURL: metadata
                )
            )
        }
        guard let principal = await self.authenticator.authenticate(token: token) else {
            return .failure(
                .unauthorized(error: "invalid_token", description: "The access token is invalid or expired.", resourceMetadataURL: metadata)
            )
        }
        return .success(principal)
    }

    /// The bearer token of the `Authorization` header, if it has that form.
    static func bearerToken(_ request: HTTPRequest) -> String? {
        guard let authorization = request.headerFields.value(.authorization) else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1].trimmingHTTPWhitespace)
    }

    // MARK: Responses

    func response(for reply: Reply, eventStream: Bool) -> EndpointResponse {
        switch reply {
        case .accepted:
            return EndpointResponse(status: .accepted)
        case .stream(let response):
            return response
        case .message(let body, let status, let headers):
            var response: EndpointResponse
            if eventStream && status == .ok {
                response = EndpointResponse(status: status, headerFields: Self.eventStreamHeaders, body: Self.event(body, name: "message"))
            } else {
                response = EndpointResponse(status: status, headerFields: [.contentType: "application/json", .cacheControl: "no-store"], body: body)
            }
            response.headerFields.append(contentsOf: headers)
            return response
        }
    }

    func jsonResponse(_ message: JSONValue, status: HTTPResponse.Status) -> EndpointResponse {
        EndpointResponse(status: status, headerFields: [.contentType: "application/json", .cacheControl: "no-store"], body: message.serialized())
    }
}
