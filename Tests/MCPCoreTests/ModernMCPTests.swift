import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import MCPTestSupport
import Testing

@testable import MCPCore

/// MCP 2026-07-28 (stateless) on `POST /`. Item ids refer to `reference/mcp-requirements.md`.
@Suite("MCP 2026-07-28")
struct ModernMCPTests {
    @Test("server/discover (5A.5, 1A.8, 6.10, 5A.6)")
    func discover() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.modern("server/discover")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "application/json")
            let result = try #require(answer.result)
            #expect(result["resultType"] == "complete")
            #expect(result["supportedVersions"] == ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
            #expect(result["capabilities"]?["tools"] != nil)
            #expect(result["ttlMs"]?.intValue ?? -1 >= 0)
            #expect(result["cacheScope"] == "private")
            #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "todo-server")
            #expect(answer.json?["id"] == 1)
        }
    }

    @Test("tools/list: deterministic, cacheable, strict schemas (1A.11, 6.11, 7.4, 7.13)")
    func toolsList() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let first = try await client.modern("tools/list")
            let second = try await client.modern("tools/list")
            let result = try #require(first.result)
            #expect(first.body == second.body, "the same list, in the same order")
            #expect(result["resultType"] == "complete")
            #expect(result["cacheScope"] == "private")
            #expect(result["ttlMs"]?.intValue != nil)
            guard case .array(let tools)? = result["tools"] else { Issue.record("no tools"); return }
            #expect(
                tools.compactMap { $0["name"]?.stringValue } == ["list_todos", "get_todo", "create_todo", "delete_todo"]
            )
            for tool in tools {
                let name = tool["name"]?.stringValue ?? "?"
                #expect(tool["inputSchema"]?["type"] == "object", "\(name)")
                #expect(tool["inputSchema"]?["additionalProperties"] == false, "\(name)")
                let outputSchema: JSONValue? = name == "list_todos" ? MCPFixture.listOutputSchema : Optional<JSONValue>.none
                #expect(tool["outputSchema"] == outputSchema, "\(name)")
                #expect(tool["title"]?.stringValue?.isEmpty == false, "\(name)")
                #expect(tool["description"]?.stringValue?.isEmpty == false, "\(name)")
                for hint in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
                    #expect(tool["annotations"]?[hint]?.boolValue != nil, "\(name) \(hint)")
                }
                #expect(name.allSatisfy { $0.isLetter || $0.isNumber || "_-.".contains($0) } && name.count <= 128)
            }
            #expect(tools[0]["annotations"]?["readOnlyHint"] == true)
            #expect(tools[3]["annotations"]?["destructiveHint"] == true)
        }
    }

    @Test("A missing MCP-Protocol-Version header is 400 -32020 (3.14, 3.17)")
    func missingVersionHeader() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.modern("tools/list", headers: [.mcpMethod: "tools/list"])
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == -32020)
            #expect(answer.json?["id"] == 1)
        }
    }

    @Test("A version header that disagrees with _meta is 400 -32020 (3.14)")
    func versionMismatch() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.modern("tools/list", headers: [.mcpProtocolVersion: "2025-11-25", .mcpMethod: "tools/list"])
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == -32020)
        }
    }

    @Test("An unsupported version is 400 -32022 with data.supported and data.requested (3.15, 5A.4)")
    func unsupportedVersion() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.modern("tools/list", version: "2099-01-01")
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == -32022)
            let data = answer.json?["error"]?["data"]
            #expect(data?["requested"] == "2099-01-01")
            #expect(data?["supported"] == ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
        }
    }

    @Test("Missing _meta fields are 400 -32602 (3.26)")
    func missingMeta() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            // No _meta at all, with a modern header.
            let bare = try await client.mcp(
                body: #"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}"#,
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/list"]
            )
            #expect(bare.status == .badRequest)
            #expect(bare.errorCode == -32602)
            #expect(bare.json?["id"] == 7)

            // A version but no client capabilities.
            let noCapabilities = try await client.modern(
                "tools/list",
                params: ["_meta": ["io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": "none"]]
            )
            #expect(noCapabilities.status == .badRequest)
            #expect(noCapabilities.errorCode == -32602)
        }
    }

    @Test("Mcp-Method must be present and equal the body's method (3.18)")
    func methodHeader() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let missing = try await client.modern("tools/list", headers: [.mcpProtocolVersion: "2026-07-28"])
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == -32020)
            let wrong = try await client.modern("tools/list", headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/call"])
            #expect(wrong.status == .badRequest)
            #expect(wrong.errorCode == -32020)
            let wrongCase = try await client.modern("tools/list", headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "Tools/List"])
            #expect(wrongCase.errorCode == -32020, "header values are case-sensitive (3.20)")
        }
    }

    @Test("Mcp-Name must be present and equal params.name, Base64 sentinel decoded (3.18, 3.19)")
    func nameHeader() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let params: [String: JSONValue] = ["name": "list_todos", "arguments": [:]]
            let missing = try await client.modern(
                "tools/call",
                params: params,
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/call"]
            )
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == -32020)

            let wrong = try await client.modern(
                "tools/call",
                params: params,
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/call", .mcpName: "get_todo"]
            )
            #expect(wrong.status == .badRequest)
            #expect(wrong.errorCode == -32020)

            let encoded = "=?base64?" + Data("list_todos".utf8).base64EncodedString() + "?="
            let sentinel = try await client.modern(
                "tools/call",
                params: params,
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/call", .mcpName: encoded]
            )
            #expect(sentinel.status == .ok)
            #expect(sentinel.structured?["todos"] == [])

            let broken = try await client.modern(
                "tools/call",
                params: params,
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/call", .mcpName: "=?base64?!!!?="]
            )
            #expect(broken.errorCode == -32020)
        }
    }

    @Test(
        "Removed and unknown methods are 404 -32601 (2.5, 3.16)",
        arguments: ["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe", "completion/complete", "no/such"]
    )
    func removedMethods(_ method: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.modern(method, id: .string("req-\(method)"))
            #expect(answer.status == .notFound)
            #expect(answer.errorCode == -32601)
            #expect(answer.json?["id"] == .string("req-\(method)"), "errors echo the id (3.28)")
        }
    }

    @Test("Results of tools/call carry resultType and serverInfo (1A.8, 5A.6)")
    func toolCallResultShape() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.callTool("list_todos")
            #expect(answer.result?["resultType"] == "complete")
            #expect(answer.result?["_meta"]?["io.modelcontextprotocol/serverInfo"]?["version"] == "1.0.0")
        }
    }

    @Test("No session id is minted or needed in the stateless era (1A.1, 3.24)")
    func noSessions() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.modern("tools/list")
            #expect(answer.headers[.mcpSessionID] == nil)
        }
    }
}
