import EndpointCore
import Foundation
import HTTPTypes
import Logging

/// The legacy eras (2025-11-25, 2025-06-18, 2025-03-26): `initialize` opens a session bound to
/// its user, and later requests name it in `Mcp-Session-Id`.
extension MCPEndpoint {

    func legacy(id: JSONRPCID, method: String, params: [String: JSONValue], request: HTTPRequest, principal: Principal) async -> Reply {
        if let header = request.headerFields.value(.mcpProtocolVersion), method != "initialize",
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
        guard let sessionID = request.headerFields.value(.mcpSessionID) else {
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

    func legacyMethod(id: JSONRPCID, method: String, params: [String: JSONValue], session: MCPSession, principal: Principal) async -> Reply {
        switch method {
        case "ping":
            return self.result(id, [:], era: .legacy)
        case "tools/list":
            return self.result(id, ["tools": .array(self.tools.map(\.listing))], era: .legacy)
        case "tools/call":
            return await self.callTool(id: id, params: params, principal: principal, era: .legacy)
        case "prompts/list" where !self.prompts.isEmpty:
            return self.listPrompts(id: id, params: params, era: .legacy)
        case "prompts/get" where !self.prompts.isEmpty:
            return await self.getPrompt(id: id, params: params, principal: principal, era: .legacy)
        case "resources/list":
            return await self.listResources(id: id, params: params, principal: principal, era: .legacy)
        case "resources/templates/list":
            return self.listResourceTemplates(id: id, params: params, era: .legacy)
        case "resources/read":
            return await self.readResource(id: id, params: params, principal: principal, era: .legacy)
        case "resources/subscribe", "resources/unsubscribe":
            return self.subscribe(id: id, params: params, session: session, principal: principal, adding: method == "resources/subscribe")
        case "initialize":
            return self.failure(id, .invalidRequest, "initialize must be sent on its own, not in a batch.")
        default:
            return self.failure(id, .methodNotFound, "Method not found: \(method)")
        }
    }

    func initialize(id: JSONRPCID, params: [String: JSONValue], principal: Principal) async -> Reply {
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
        guard case .message(let body, let status, _) = self.result(id, result, era: .legacy) else { return .accepted }
        return .message(body, status: status, headers: [.mcpSessionID: session.id])
    }

    /// The session `id` if it exists, has not idled out and belongs to `principal`.
    func activeSession(_ id: String, for principal: Principal) async -> MCPSession? {
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

    func sessionNotFound(id: JSONRPCID?) -> Reply {
        .message(
            JSONRPCError(.invalidRequest, "Session not found or expired: call initialize to start a new session.").serializedResponse(id: id),
            status: .notFound
        )
    }
}
