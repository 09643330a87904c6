import EndpointCore
import Foundation
import HTTPTypes

/// The 2026-07-28 era: stateless requests that carry their version and client capabilities in
/// `_meta`, with every `Mcp-*` header checked against the body.
extension MCPEndpoint {

    func modern(id: JSONRPCID, method: String, params: [String: JSONValue], request: HTTPRequest, principal: Principal) async -> Reply {
        guard let headerVersion = request.headerFields.value(.mcpProtocolVersion) else {
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
        guard let methodHeader = request.headerFields.value(.mcpMethod) else {
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
                ),
                era: .modern
            )
        case "tools/list":
            reply = self.result(id, self.cacheable(["tools": .array(self.tools.map(\.listing))]), era: .modern)
        case "tools/call":
            if let mismatch = self.nameHeaderMismatch(id: id, params["name"], request: request, method: method) { return mismatch }
            reply = await self.callTool(id: id, params: params, principal: principal, era: .modern)
        case "prompts/list" where !self.prompts.isEmpty:
            reply = self.listPrompts(id: id, params: params, era: .modern)
        case "prompts/get" where !self.prompts.isEmpty:
            if let mismatch = self.nameHeaderMismatch(id: id, params["name"], request: request, method: method) { return mismatch }
            reply = await self.getPrompt(id: id, params: params, principal: principal, era: .modern)
        case "resources/list":
            reply = await self.listResources(id: id, params: params, principal: principal, era: .modern)
        case "resources/templates/list":
            reply = self.listResourceTemplates(id: id, params: params, era: .modern)
        case "resources/read":
            if let mismatch = self.nameHeaderMismatch(id: id, params["uri"], request: request, method: method) { return mismatch }
            reply = await self.readResource(id: id, params: params, principal: principal, era: .modern)
        case "subscriptions/listen":
            reply = self.listen(id: id, params: params, request: request, principal: principal)
        default:
            return self.failure(id, .methodNotFound, "Method not found: \(method)", status: .notFound)
        }
        return reply
    }

    /// The 400 when the `Mcp-Name` header is missing or names other than `value` (a tool's or
    /// prompt's name, a resource's URI); `nil` when it agrees or `value` is not a string (the
    /// method then refuses the params).
    private func nameHeaderMismatch(id: JSONRPCID, _ value: JSONValue?, request: HTTPRequest, method: String) -> Reply? {
        guard case .string(let name)? = value else { return nil }
        guard let header = request.headerFields.value(.mcpName) else {
            return self.failure(id, .headerMismatch, "The Mcp-Name header is required for \(method).", status: .badRequest)
        }
        guard let decoded = Self.decodeHeaderValue(header), decoded == name else {
            return self.failure(
                id,
                .headerMismatch,
                "Header mismatch: Mcp-Name header value '\(header)' does not match body value '\(name)'.",
                status: .badRequest
            )
        }
        return nil
    }

    /// A header value, with the `=?base64?…?=` sentinel form decoded; `nil` when the encoding is broken.
    static func decodeHeaderValue(_ value: String) -> String? {
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.utf8.count >= 11 else { return value }
        let encoded = String(value.dropFirst(9).dropLast(2))
        guard let data = Data(base64Encoded: encoded) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// `result` with the caching hints of 2026-07-28: for `ttlMilliseconds` (by default the
    /// configured time for lists that change only with the server), and private to the token
    /// unless `shared` (the same for every caller).
    func cacheable(_ result: [String: JSONValue], ttlMilliseconds: Int? = nil, shared: Bool = false) -> [String: JSONValue] {
        var result = result
        result["ttlMs"] = .int(Int64(ttlMilliseconds ?? self.configuration.listTTLMilliseconds))
        result["cacheScope"] = shared ? "public" : "private"
        return result
    }

    /// What the server offers, exactly: tools, prompts when there are any, resources when there is
    /// a provider or an app view (with subscriptions and list changes when the provider reports
    /// live changes), and the apps extension when a tool has a view. No list of tools or prompts
    /// ever changes while the server runs.
    var capabilities: JSONValue {
        var capabilities: [String: JSONValue] = ["tools": ["listChanged": false]]
        if !self.prompts.isEmpty { capabilities["prompts"] = ["listChanged": false] }
        if self.resources != nil || !self.appViews.isEmpty {
            let live = self.resources?.notifiesChanges ?? false
            capabilities["resources"] = ["subscribe": .bool(live), "listChanged": .bool(live)]
        }
        if !self.appViews.isEmpty { capabilities["extensions"] = [AppView.extensionIdentifier: [:]] }
        return .object(capabilities)
    }

    var instructionsField: [String: JSONValue] {
        self.configuration.instructions.map { ["instructions": .string($0)] } ?? [:]
    }
}
