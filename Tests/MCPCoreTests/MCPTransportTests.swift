import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import MCPTestSupport
import Testing

@testable import MCPCore

/// Streamable HTTP rules shared by both eras: authentication, media types, size, JSON-RPC framing,
/// Origin and CORS.
@Suite("MCP transport")
struct MCPTransportTests {
    // MARK: Authentication

    @Test("No token: 401 naming the resource metadata, without an error code (9.3, 9.4)")
    func missingToken() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            for answer in [
                try await client.modern("tools/list", token: nil),
                try await client.legacy("ping", session: "whatever", token: nil),
                try await client.mcp(body: #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#, token: nil),
            ] {
                #expect(answer.status == .unauthorized)
                let challenge = try #require(answer.headers[.wwwAuthenticate])
                #expect(challenge == #"Bearer resource_metadata="https://todo.example.com/.well-known/oauth-protected-resource""#)
            }
        }
    }

    @Test("A bad token: 401 with error=\"invalid_token\" (9.10)", arguments: ["Bearer forged", "Basic YWxpY2U6cHc=", "Bearer", "alice"])
    func invalidToken(_ authorization: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(
                body: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
                token: nil,
                headers: [.authorization: authorization]
            )
            #expect(answer.status == .unauthorized)
            let challenge = try #require(answer.headers[.wwwAuthenticate])
            #expect(challenge.hasPrefix("Bearer "))
            #expect(challenge.contains(#"error="invalid_token""#))
            #expect(challenge.contains(#"resource_metadata="https://todo.example.com/.well-known/oauth-protected-resource""#))
        }
    }

    @Test(
        "The scheme is case-insensitive and spaces around the token are ignored (RFC 9110 11.1)",
        arguments: ["bearer alice", "BEARER   alice  ", "Bearer alice "]
    )
    func lenientAuthorizationSyntax(_ authorization: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.modern(
                "tools/list",
                token: nil,
                headers: [.authorization: authorization, .mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/list"]
            )
            #expect(answer.status == .ok)
            #expect(answer.body.contains(#""list_todos""#))
        }
    }

    @Test("Without the scope a tool needs: 403 insufficient_scope naming every scope needed (9.11)")
    func insufficientScope() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let write = try await client.callTool("create_todo", ["title": "x"], token: "alice-read")
            #expect(write.status == .forbidden)
            let challenge = try #require(write.headers[.wwwAuthenticate])
            #expect(challenge.contains(#"error="insufficient_scope""#))
            #expect(challenge.contains(#"scope="todos:read todos:write""#))
            #expect(challenge.contains(#"resource_metadata="https://todo.example.com/.well-known/oauth-protected-resource""#))

            let read = try await client.callTool("list_todos", token: "alice-none")
            #expect(read.status == .forbidden)
            #expect(read.headers[.wwwAuthenticate]?.contains(#"scope="todos:read""#) == true)

            #expect(try await client.callTool("list_todos", token: "alice-read").status == .ok, "reading needs only todos:read")
            let session = try await client.initialize(token: "alice-read")
            let legacyWrite = try await client.legacy(
                "tools/call",
                params: ["name": "delete_todo", "arguments": ["id": "t_x"]],
                session: session,
                token: "alice-read"
            )
            #expect(legacyWrite.status == .forbidden)
        }
    }

    // MARK: Media types, size and framing

    @Test("A wrong Content-Type is 415", arguments: ["text/plain", "application/x-www-form-urlencoded", nil] as [String?])
    func wrongContentType(_ contentType: String?) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(body: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, contentType: contentType)
            #expect(answer.status == .unsupportedMediaType)
            #expect(try await client.modern("tools/list").status == .ok, "and the server keeps serving")
        }
    }

    @Test(
        "An Accept that allows neither JSON nor SSE is 406",
        arguments: ["text/html", "image/png", "application/json;q=0", "application/json ;\tq = 0.0 , text/html"]
    )
    func unacceptable(_ accept: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(body: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, accept: accept)
            #expect(answer.status == .notAcceptable)
        }
    }

    @Test(
        "Accept is read case-insensitively, with spaces and tabs around its parts",
        arguments: [" Application/JSON\t", "text/html,\tAPPLICATION/*;q=0.5"]
    )
    func lenientAccept(_ accept: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(body: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, accept: accept)
            #expect(answer.status != .notAcceptable)
            #expect(answer.headers[.contentType] == "application/json")
        }
    }

    @Test("Accept: text/event-stream alone gets the response as one SSE event (3.6)")
    func eventStreamOnly() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(
                body: JSONValue([
                    "jsonrpc": "2.0", "id": 5, "method": "server/discover",
                    "params": [
                        "_meta": ["io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": [:]]
                    ],
                ]).jsonString,
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "server/discover"],
                accept: "text/event-stream"
            )
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "text/event-stream")
            #expect(answer.body.hasPrefix("event: message\ndata: {"))
            #expect(answer.body.hasSuffix("\n\n"))
            let data = answer.body.dropFirst("event: message\ndata: ".count).dropLast(2)
            #expect(try JSONValue.parse(Array(data.utf8))["id"] == 5)
        }
    }

    @Test("A body over the limit is 413, and the server keeps serving")
    func tooLarge() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let title = String(repeating: "x", count: 5_000)
            let answer = try await client.callTool("create_todo", ["title": .string(title)])
            #expect(answer.status == .contentTooLarge)
            #expect(try await client.modern("tools/list").status == .ok)
        }
    }

    @Test("Malformed JSON is 400 -32700, and the server keeps serving", arguments: ["{", "not json", "", "{\"jsonrpc\":\"2.0\",\"id\":1,"])
    func malformedJSON(_ body: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(body: body)
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == -32700)
            #expect(answer.json?["id"] == .null)
            #expect(try await client.modern("tools/list").status == .ok)
        }
    }

    @Test("A body that repeats a member name is refused, so it cannot disagree with the Mcp-Method header check")
    func repeatedMemberNames() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#
            let body =
                #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"#
                + meta + #"},"method":"tools/call","params":{"name":"delete_todo","arguments":{"id":"x"},"# + meta + "}}"
            let answer = try await client.mcp(
                body: body,
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/list"]
            )
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == -32700)
            #expect(answer.body.contains("more than once"))
        }
    }

    @Test("Invalid JSON-RPC is 400 -32600, echoing the id when readable (5A.1)")
    func invalidRequests() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            for (body, id) in [
                (#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, JSONValue.null),
                (#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, .null),
                (#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#, .null),
                (#"{"jsonrpc":"1.0","id":9,"method":"ping"}"#, 9),
                (#"{"id":"x","method":"ping"}"#, "x"),
                (#"{"jsonrpc":"2.0","id":4,"method":42}"#, 4),
                (#"{"jsonrpc":"2.0","id":4,"method":"ping","params":[1]}"#, 4),
                (#""just a string""#, .null),
                (#"{"jsonrpc":"2.0","id":3}"#, 3),
            ] {
                let answer = try await client.mcp(body: body)
                #expect(answer.status == .badRequest, "\(body)")
                #expect(answer.errorCode == -32600, "\(body)")
                #expect(answer.json?["id"] == id, "\(body)")
            }
        }
    }

    @Test("Notifications and responses get 202 with no body, in both eras (3.5, 4.3)")
    func notificationsAndResponses() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            for body in [
                #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#,
                #"{"jsonrpc":"2.0","id":1,"result":{}}"#,
                #"{"jsonrpc":"2.0","id":"x","error":{"code":-1,"message":"no"}}"#,
            ] {
                let answer = try await client.mcp(body: body, headers: [.mcpProtocolVersion: "2026-07-28"])
                #expect(answer.status == .accepted, "\(body)")
                #expect(answer.body.isEmpty)
            }
        }
    }

    @Test("A batch outside a 2025-03-26 session is refused (3.4)")
    func batchWithoutSession() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(body: #"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#)
            #expect(answer.status == .badRequest)
        }
    }

    // MARK: Origin and CORS

    @Test(
        "A foreign Origin is 403 (3.2, 4.2, 11.3)",
        arguments: ["https://evil.example", "null", "http://localhost:6275", "https://todo.example.com.evil.example"]
    )
    func foreignOrigin(_ origin: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.modern(
                "tools/list",
                headers: [.origin: origin, .mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/list"]
            )
            #expect(answer.status == .forbidden)
            #expect(answer.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == nil)
            let preflight = try await client.mcp(.options, token: nil, headers: [.origin: origin], contentType: nil)
            #expect(preflight.status == .forbidden)
        }
    }

    @Test(
        "The public URL's origin and configured origins are allowed, with CORS headers",
        arguments: ["https://todo.example.com", "http://localhost:6274", "HTTP://LOCALHOST:6274"]
    )
    func allowedOrigin(_ origin: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.modern(
                "tools/list",
                headers: [.origin: origin, .mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/list"]
            )
            #expect(answer.status == .ok)
            #expect(answer.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == origin)
            let exposed = answer.headers[HTTPField.Name("Access-Control-Expose-Headers")!] ?? ""
            #expect(exposed.contains("WWW-Authenticate") && exposed.contains("Mcp-Session-Id"))

            let unauthorized = try await client.modern(
                "tools/list",
                token: nil,
                headers: [.origin: origin, .mcpProtocolVersion: "2026-07-28", .mcpMethod: "tools/list"]
            )
            #expect(unauthorized.status == .unauthorized)
            #expect(unauthorized.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == origin, "a browser client can read the challenge")
        }
    }

    @Test("A CORS preflight is answered before authentication")
    func preflight() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(
                .options,
                token: nil,
                headers: [.origin: "http://localhost:6274", HTTPField.Name("Access-Control-Request-Method")!: "POST"],
                contentType: nil
            )
            #expect(answer.status == .noContent)
            #expect(answer.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "http://localhost:6274")
            let allowed = answer.headers[HTTPField.Name("Access-Control-Allow-Headers")!] ?? ""
            for header in ["Authorization", "Content-Type", "MCP-Protocol-Version", "Mcp-Session-Id", "Mcp-Method", "Mcp-Name"] {
                #expect(allowed.contains(header), "\(header)")
            }
            #expect(answer.headers[HTTPField.Name("Access-Control-Allow-Methods")!]?.contains("POST") == true)
        }
    }
}
