import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import MCPTestSupport
import Testing

@testable import MCPCore

/// The legacy revisions (2025-11-25, 2025-06-18, 2025-03-26) with `initialize` and sessions.
@Suite("MCP legacy sessions", .timeLimit(.minutes(1)))
struct LegacyMCPTests {
    @Test(
        "initialize negotiates the version and issues a visible-ASCII session id (5B.1, 5B.2, 4.12)",
        arguments: [
            ("2025-11-25", "2025-11-25"), ("2025-06-18", "2025-06-18"), ("2025-03-26", "2025-03-26"), ("2024-11-05", "2025-11-25"),
            ("1999-01-01", "2025-11-25"),
        ]
    )
    func initialize(_ requested: String, _ negotiated: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(
                body: JSONValue([
                    "jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": ["protocolVersion": .string(requested), "capabilities": [:], "clientInfo": ["name": "t", "version": "1"]],
                ]).jsonString
            )
            #expect(answer.status == .ok)
            #expect(answer.result?["protocolVersion"] == .string(negotiated))
            #expect(answer.result?["serverInfo"]?["name"] == "todo-server")
            #expect(answer.result?["capabilities"]?["tools"] != nil)
            #expect(answer.result?["resultType"] == nil, "legacy results keep their legacy shape")
            let session = try #require(answer.headers[.mcpSessionID])
            #expect(session.utf8.count >= 32)
            #expect(session.utf8.allSatisfy { (0x21...0x7E).contains($0) })
        }
    }

    @Test("Each initialize gets a new session id")
    func sessionIDsAreUnique() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            var ids: Set<String> = []
            for _ in 0..<5 { ids.insert(try await client.initialize()) }
            #expect(ids.count == 5)
        }
    }

    @Test("A session serves ping, tools/list, tools/call and notifications (5B.3, 5B.5)")
    func sessionLifecycle() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize()
            let initialized = try await client.mcp(
                body: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                headers: [.mcpSessionID: session, .mcpProtocolVersion: "2025-11-25"]
            )
            #expect(initialized.status == .accepted)
            #expect(initialized.body.isEmpty)

            let ping = try await client.legacy("ping", session: session)
            #expect(ping.result == [:])

            let list = try await client.legacy("tools/list", session: session)
            if case .array(let tools)? = list.result?["tools"] { #expect(tools.count == 4) } else { Issue.record("no tools") }
            #expect(list.result?["ttlMs"] == nil)

            let created = try await client.legacy(
                "tools/call",
                params: ["name": "create_todo", "arguments": ["title": "Legacy todo"]],
                session: session
            )
            #expect(created.structured?["title"] == "Legacy todo")
            #expect(created.result?["resultType"] == nil)

            let unknown = try await client.legacy("completion/complete", session: session)
            #expect(unknown.errorCode == -32601)
        }
    }

    @Test("The protocol version header may be absent (assumed 2025-03-26) but not unsupported (4.16)")
    func legacyVersionHeader() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize()
            #expect(try await client.legacy("ping", session: session, version: nil).status == .ok)
            let unsupported = try await client.legacy("ping", session: session, version: "2024-01-01")
            #expect(unsupported.status == .badRequest)
            let modern = try await client.legacy("ping", session: session, version: "2026-07-28")
            #expect(modern.status != .ok)
        }
    }

    @Test("A missing session is 400, an unknown one 404 (4.13, 4.14)")
    func missingAndUnknownSessions() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let missing = try await client.legacy("tools/list", session: nil)
            #expect(missing.status == .badRequest)
            #expect(missing.json?["error"]?["message"]?.stringValue?.contains("initialize") == true)
            let unknown = try await client.legacy("tools/list", session: "no-such-session")
            #expect(unknown.status == .notFound)
            let notification = try await client.mcp(
                body: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                headers: [.mcpSessionID: "no-such-session"]
            )
            #expect(notification.status == .notFound)
        }
    }

    @Test("A session is bound to its user: another user's token cannot use it (4.18, 11.2)")
    func sessionsAreBoundToTheirUser() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let alices = try await client.initialize(token: "alice")
            let asBob = try await client.legacy("tools/call", params: ["name": "list_todos"], session: alices, token: "bob")
            #expect(asBob.status == .notFound)
            #expect(asBob.result == nil)
            #expect(try await client.legacy("ping", session: alices, token: "alice").status == .ok, "still Alice's")
        }
    }

    @Test("A session never stands in for a token (4.18, 9.8)")
    func sessionsAreNotAuthentication() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize()
            let anonymous = try await client.legacy("tools/list", session: session, token: nil)
            #expect(anonymous.status == .unauthorized)
            let forged = try await client.legacy("tools/list", session: session, token: "forged")
            #expect(forged.status == .unauthorized)
        }
    }

    @Test("DELETE ends the session; later requests get 404 (4.15)")
    func deleteEndsTheSession() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize()
            let bobTries = try await client.mcp(.delete, token: "bob", headers: [.mcpSessionID: session], contentType: nil)
            #expect(bobTries.status == .notFound)
            let deleted = try await client.mcp(.delete, headers: [.mcpSessionID: session], contentType: nil)
            #expect(deleted.status == .noContent)
            #expect(try await client.legacy("ping", session: session).status == .notFound)
            let again = try await client.mcp(.delete, headers: [.mcpSessionID: session], contentType: nil)
            #expect(again.status == .notFound)
            let withoutSession = try await client.mcp(.delete, contentType: nil)
            #expect(withoutSession.status == .badRequest)
        }
    }

    @Test("An idle session expires")
    func idleSessionsExpire() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize()
            fixture.clock.advance(seconds: 23 * 3600)
            #expect(try await client.legacy("ping", session: session).status == .ok, "use keeps it alive")
            fixture.clock.advance(seconds: 23 * 3600)
            #expect(try await client.legacy("ping", session: session).status == .ok)
            fixture.clock.advance(seconds: 24 * 3600 + 1)
            #expect(try await client.legacy("ping", session: session).status == .notFound)
        }
    }

    @Test("GET without a session is 405 (4.9); with one it opens the session's event stream, primed with an id and a retry (4.5)")
    func getStream() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let bare = try await client.mcp(.get, contentType: nil, accept: "text/event-stream")
            #expect(bare.status == .methodNotAllowed)
            #expect(bare.headers[.allow]?.contains("POST") == true)

            let session = try await client.initialize()
            let answer = try await client.mcp(.get, headers: [.mcpSessionID: session], contentType: nil, accept: "text/event-stream")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "text/event-stream")
            #expect(answer.headers[.xAccelBuffering] == "no")
            let stream = try #require(answer.stream)
            let priming = try #require(await stream.next())
            #expect(priming.hasPrefix("id: "))
            #expect(priming.contains("\nretry: 3000\ndata: \n\n"))
            let json = try await client.mcp(.get, headers: [.mcpSessionID: session], contentType: nil, accept: "application/json")
            #expect(json.status == .notAcceptable)
            let other = try await client.mcp(.get, token: "bob", headers: [.mcpSessionID: session], contentType: nil, accept: "text/event-stream")
            #expect(other.status == .notFound, "another user's session is not found")
            let anonymous = try await client.mcp(.get, token: nil, headers: [.mcpSessionID: session], contentType: nil, accept: "text/event-stream")
            #expect(anonymous.status == .unauthorized)

            let second = try await client.mcp(.get, headers: [.mcpSessionID: session], contentType: nil, accept: "text/event-stream")
            #expect(second.status == .ok, "a client reconnecting gets a new stream")
            let replacing = try #require(second.stream)
            #expect(await replacing.next()?.hasPrefix("id: ") == true)
            #expect(await stream.next() == nil, "and the session's earlier stream ends: a session has at most one")
            #expect(await stream.finished() == nil)

            replacing.stop()
            #expect(await replacing.next() == nil)
            #expect(await replacing.finished() == nil)
        }
    }

    @Test("A GET stream counts toward the person's stream limit; an ended one no longer does")
    func getStreamLimit() async throws {
        var fixture = try await MCPFixture()
        fixture.configuration.maxStreamsPerSubject = 1
        try await fixture.app().test(.router) { client in
            let first = try await client.initialize()
            let second = try await client.initialize()
            let open = try #require(try await client.mcp(.get, headers: [.mcpSessionID: first], contentType: nil, accept: "text/event-stream").stream)
            let refused = try await client.mcp(.get, headers: [.mcpSessionID: second], contentType: nil, accept: "text/event-stream")
            #expect(refused.status == .tooManyRequests)
            let replaced = try await client.mcp(.get, headers: [.mcpSessionID: first], contentType: nil, accept: "text/event-stream")
            #expect(replaced.status == .ok, "replacing a session's own stream needs no second place")
            #expect(await open.finished() == nil)
            replaced.stream?.stop()
            #expect(await replaced.stream?.finished() == nil)
            let after = try await client.mcp(.get, headers: [.mcpSessionID: second], contentType: nil, accept: "text/event-stream")
            #expect(after.status == .ok)
            after.stream?.stop()
        }
    }

    @Test("A batch that reads a resource without the read scope is refused before anything in it runs")
    func batchChecksResourceScopes() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize(version: "2025-03-26", token: "alice-write")
            let batch: JSONValue = [
                ["jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["name": "create_todo", "arguments": ["title": "x"]]],
                ["jsonrpc": "2.0", "id": 2, "method": "resources/read", "params": ["uri": "note://0"]],
            ]
            let answer = try await client.mcp(
                body: batch.jsonString,
                token: "alice-write",
                headers: [.mcpSessionID: session, .mcpProtocolVersion: "2025-03-26"]
            )
            #expect(answer.status == .forbidden)
            #expect(fixture.notes.count == 0, "the create did not run")
        }
    }

    @Test("Batches work in 2025-03-26 sessions only (4.17, 1C.1)")
    func batches() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let old = try await client.initialize(version: "2025-03-26")
            let batch = """
                [{"jsonrpc":"2.0","id":1,"method":"ping"},
                 {"jsonrpc":"2.0","method":"notifications/initialized"},
                 {"jsonrpc":"2.0","id":"two","method":"tools/call","params":{"name":"create_todo","arguments":{"title":"From a batch"}}},
                 {"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"2025-03-26"}}]
                """
            let answer = try await client.mcp(body: batch, headers: [.mcpSessionID: old])
            #expect(answer.status == .ok)
            guard case .array(let responses)? = answer.json else { Issue.record("not an array: \(answer.body)"); return }
            #expect(responses.map { $0["id"] } == [1, "two", 3])
            #expect(responses[0]["result"] == [:])
            #expect(responses[1]["result"]?["structuredContent"]?["title"] == "From a batch")
            #expect(responses[2]["error"]?["code"] == -32600, "initialize must not be batched")

            let onlyNotifications = try await client.mcp(
                body: #"[{"jsonrpc":"2.0","method":"notifications/initialized"}]"#,
                headers: [.mcpSessionID: old]
            )
            #expect(onlyNotifications.status == .accepted)

            let empty = try await client.mcp(body: "[]", headers: [.mcpSessionID: old])
            #expect(empty.status == .badRequest)

            let newer = try await client.initialize(version: "2025-06-18")
            let refused = try await client.mcp(body: #"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, headers: [.mcpSessionID: newer])
            #expect(refused.status == .badRequest)
            #expect(refused.errorCode == -32600)
        }
    }

    @Test("A batch holds at most 50 messages")
    func batchSize() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize(version: "2025-03-26")
            func batch(_ count: Int) -> String {
                "[" + (0..<count).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"ping"}"# }.joined(separator: ",") + "]"
            }
            let full = try await client.mcp(body: batch(50), headers: [.mcpSessionID: session])
            #expect(full.status == .ok)
            let over = try await client.mcp(body: batch(51), headers: [.mcpSessionID: session])
            #expect(over.status == .badRequest)
            #expect(over.errorCode == -32600)
            #expect(over.body.contains("at most 50"))
        }
    }

    @Test("Every scope in a batch is checked before anything runs: a refused write leaves no earlier write done")
    func batchScopesFirst() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize(version: "2025-03-26", token: "alice-read")
            let batch = """
                [{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_todos","arguments":{}}},
                 {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_todo","arguments":{"title":"Sneaked in"}}},
                 {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"delete_todo","arguments":{"id":"t_x"}}}]
                """
            let answer = try await client.mcp(body: batch, token: "alice-read", headers: [.mcpSessionID: session])
            #expect(answer.status == .forbidden)
            #expect(answer.headers[.wwwAuthenticate]?.contains("insufficient_scope") == true)
            #expect(fixture.notes.count == 0)
        }
    }

    @Test("A user holds a bounded number of legacy sessions: a new one ends the least recently used")
    func sessionsPerUser() async throws {
        var fixture = try await MCPFixture()
        fixture.configuration.maxSessionsPerSubject = 2
        let clock = fixture.clock
        try await fixture.app().test(.router) { client in
            let first = try await client.initialize()
            clock.advance(seconds: 120)
            let second = try await client.initialize()
            clock.advance(seconds: 120)
            #expect(try await client.legacy("ping", session: first).status == .ok, "using the first makes the second the least recent")
            clock.advance(seconds: 120)
            let third = try await client.initialize()
            #expect(try await client.legacy("ping", session: second).status == .notFound)
            #expect(try await client.legacy("ping", session: first).status == .ok)
            #expect(try await client.legacy("ping", session: third).status == .ok)
            let bobs = try await client.initialize(token: "bob")
            #expect(try await client.legacy("ping", session: bobs, token: "bob").status == .ok, "another user's sessions are their own")
            #expect(try await client.legacy("ping", session: third).status == .ok)
        }
    }
}
