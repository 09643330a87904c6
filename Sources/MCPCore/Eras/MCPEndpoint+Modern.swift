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
            if case .string(let name)? = params["name"] {
                guard let header = request.headerFields.value(.mcpName) else {
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
            reply = await self.callTool(id: id, params: params, principal: principal, era: .modern)
        default:
            return self.failure(id, .methodNotFound, "Method not found: \(method)", status: .notFound)
        }
        return reply
    }

    /// A header value, with the `=?base64?…?=` sentinel form decoded; `nil` when the encoding is broken.
    static func decodeHeaderValue(_ value: String) -> String? {
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.utf8.count >= 11 else { return value }
        let encoded = String(value.dropFirst(9).dropLast(2))
        guard let data = Data(base64Encoded: encoded) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    private func cacheable(_ result: [String: JSONValue]) -> [String: JSONValue] {
        var result = result
        result["ttlMs"] = .int(Int64(self.configuration.listTTLMilliseconds))
        // Per-user data: never shared between tokens.
        result["cacheScope"] = "private"
        return result
    }

    var capabilities: JSONValue { ["tools": ["listChanged": false]] }

    var instructionsField: [String: JSONValue] {
        self.configuration.instructions.map { ["instructions": .string($0)] } ?? [:]
    }
}
