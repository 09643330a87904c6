import EndpointCore
import EndpointTestSupport
import HTTPTypes
import MCPTestSupport
import Testing

@testable import MCPCore

/// Prompts and resources in both eras: shapes, caching hints, errors, headers, scopes.
@Suite("MCP prompts and resources")
struct PromptsAndResourcesTests {

    @Test("Capabilities announce exactly prompts and resources (without live changes here), in both eras (5A.8)")
    func capabilities() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let discovered = try #require(try await client.modern("server/discover").result)
            let expected: JSONValue = [
                "tools": ["listChanged": false], "prompts": ["listChanged": false],
                "resources": ["subscribe": false, "listChanged": false],
            ]
            #expect(discovered["capabilities"] == expected)
            let initialized = try await client.mcp(
                body: JSONValue([
                    "jsonrpc": "2.0", "id": 0, "method": "initialize",
                    "params": ["protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"]],
                ]).jsonString
            )
            #expect(initialized.result?["capabilities"] == expected)
        }
    }

    @Test("prompts/list is cacheable and private in 2026-07-28 and plain in a session; a cursor is refused")
    func listPrompts() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let modern = try #require(try await client.modern("prompts/list").result)
            #expect(modern["cacheScope"] == "private")
            #expect(modern["ttlMs"]?.intValue ?? -1 >= 0)
            #expect(modern["resultType"] == "complete")
            guard case .array(let prompts)? = modern["prompts"] else { Issue.record("no prompts"); return }
            #expect(prompts.count == 1)
            #expect(prompts[0]["name"] == "review")
            #expect(prompts[0]["arguments"]?.jsonString.contains(#""required":true"#) == true)

            let session = try await client.initialize()
            let legacy = try #require(try await client.legacy("prompts/list", session: session).result)
            #expect(legacy["ttlMs"] == nil && legacy["cacheScope"] == nil && legacy["resultType"] == nil)
            #expect(legacy["prompts"] == modern["prompts"])

            #expect(try await client.modern("prompts/list", params: ["cursor": "x"]).errorCode == -32602)
        }
    }

    @Test("prompts/get returns the caller's messages, not cacheable; Mcp-Name must be the prompt name")
    func getPrompt() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            _ = try await client.callTool("create_todo", ["title": "Alice's note"])
            _ = try await client.callTool("create_todo", ["title": "Bob's note"], token: "bob")
            let answer = try await client.modern("prompts/get", params: ["name": "review", "arguments": ["focus": "dates"]])
            let result = try #require(answer.result)
            #expect(result["ttlMs"] == nil, "GetPromptResult is not cacheable")
            #expect(result["description"] == "A review")
            guard case .array(let messages)? = result["messages"] else { Issue.record("no messages"); return }
            #expect(messages.count == 2)
            #expect(messages[0]["role"] == "user")
            #expect(messages[0]["content"]?["text"] == "Review dates: Alice's note")
            #expect(messages[1]["content"]?["type"] == "resource_link")
            #expect(messages[1]["content"]?["uri"] == "note://0")
            #expect(messages[1]["content"]?["annotations"]?["lastModified"] == "2027-01-15T08:00:00.000Z")
            #expect(!answer.body.contains("Bob"))

            let mismatch = try await client.modern(
                "prompts/get",
                params: ["name": "review", "arguments": ["focus": "x"]],
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "prompts/get", .mcpName: "other"]
            )
            #expect(mismatch.status == .badRequest && mismatch.errorCode == -32020)
            let missing = try await client.modern(
                "prompts/get",
                params: ["name": "review", "arguments": ["focus": "x"]],
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "prompts/get"]
            )
            #expect(missing.status == .badRequest && missing.errorCode == -32020)

            let session = try await client.initialize()
            let legacy = try await client.legacy("prompts/get", params: ["name": "review", "arguments": ["focus": "dates"]], session: session)
            #expect(legacy.result?["messages"] == result["messages"])
        }
    }

    @Test(
        "A bad prompts/get is -32602 with a message that says what to send",
        arguments: [
            (["name": "nope"], "Unknown prompt 'nope'. The prompts are: review."),
            (["name": "review"], "The prompt review needs the argument 'focus': What to look at."),
            (["name": "review", "arguments": ["focus": 3]], "Prompt arguments are strings; 'focus' is integer."),
            (["name": "review", "arguments": ["focus": "a", "mood": "b"]], "The prompt review has no argument 'mood'; it takes: focus, tone."),
            (["name": "review", "arguments": ["focus": "nothing"]], "focus must name something to look at."),
            (["name": 7], "params.name must be the name of a prompt: one of review."),
        ] as [([String: JSONValue], String)]
    )
    func badPromptCalls(_ params: [String: JSONValue], message: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            var headers: HTTPFields = [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "prompts/get"]
            if let name = params["name"]?.stringValue { headers[.mcpName] = name }
            let answer = try await client.modern("prompts/get", params: params, headers: headers)
            #expect(answer.errorCode == -32602)
            #expect(answer.json?["error"]?["message"]?.stringValue == message)
        }
    }

    @Test("A token without the read scope is refused prompts and resources with 403 insufficient_scope")
    func scopes() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let prompt = try await client.modern("prompts/get", params: ["name": "review", "arguments": ["focus": "x"]], token: "alice-none")
            #expect(prompt.status == .forbidden)
            #expect(prompt.headers[.wwwAuthenticate]?.contains(#"scope="todos:read""#) == true)
            let list = try await client.modern("resources/list", token: "alice-none")
            #expect(list.status == .forbidden)
            let read = try await client.modern(
                "resources/read",
                params: ["uri": "note://0"],
                token: "alice-none",
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "resources/read", .mcpName: "note://0"]
            )
            #expect(read.status == .forbidden)
        }
    }

    @Test("resources/list pages with cursors, carries lastModified, is private with ttlMs 0; a forged cursor is -32602")
    func listResources() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            for title in ["one", "two", "three"] { _ = try await client.callTool("create_todo", ["title": .string(title)]) }
            let first = try #require(try await client.modern("resources/list").result)
            #expect(first["cacheScope"] == "private" && first["ttlMs"] == 0)
            guard case .array(let page)? = first["resources"] else { Issue.record("no resources"); return }
            #expect(page.map { $0["uri"] } == ["note://0", "note://1"])
            #expect(page[0]["annotations"]?["lastModified"] == "2027-01-15T08:00:00.000Z")
            let cursor = try #require(first["nextCursor"]?.stringValue)
            let second = try #require(try await client.modern("resources/list", params: ["cursor": .string(cursor)]).result)
            #expect(second["resources"]?.jsonString.contains("note://2") == true)
            #expect(second["nextCursor"] == nil)
            let forged = try await client.modern("resources/list", params: ["cursor": "page:99"])
            #expect(forged.errorCode == -32602)
            let session = try await client.initialize()
            let legacy = try #require(try await client.legacy("resources/list", session: session).result)
            #expect(legacy["resources"] == first["resources"] && legacy["ttlMs"] == nil)
        }
    }

    @Test("resources/templates/list gives the templates, cacheable")
    func templates() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let result = try #require(try await client.modern("resources/templates/list").result)
            #expect(result["resourceTemplates"] == [["uriTemplate": "note://{index}", "name": "note", "mimeType": "text/plain"]])
            #expect(result["cacheScope"] == "private")
        }
    }

    @Test(
        "resources/read: contents of the caller's resource; another's or a missing one is -32602 with data.uri (2026) and -32002 (legacy), never empty contents"
    )
    func readResource() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            _ = try await client.callTool("create_todo", ["title": "mine"])
            func read(_ uri: String, token: String = "alice", name: String? = nil) async throws -> MCPAnswer {
                try await client.modern(
                    "resources/read",
                    params: ["uri": .string(uri)],
                    token: token,
                    headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "resources/read", .mcpName: name ?? uri]
                )
            }
            let mine = try #require(try await read("note://0").result)
            #expect(mine["contents"] == [["uri": "note://0", "mimeType": "text/plain", "text": "mine"]])
            #expect(mine["cacheScope"] == "private" && mine["ttlMs"] == 0)

            let bobs = try await read("note://0", token: "bob")
            let missing = try await read("note://7")
            for answer in [bobs, missing] {
                #expect(answer.errorCode == -32602)
                #expect(answer.json?["error"]?["data"]?["uri"] != nil)
                #expect(answer.result == nil)
            }
            #expect(bobs.json?["error"]?["message"] == "Resource not found: note://0. Call resources/list for the resources you can read.")

            let mismatch = try await read("note://0", name: "note://1")
            #expect(mismatch.status == .badRequest && mismatch.errorCode == -32020)
            let huge = try await read("note://" + String(repeating: "9", count: 3000), name: "x")
            #expect(huge.status == .badRequest, "a header mismatch comes first")

            let session = try await client.initialize()
            let legacy = try await client.legacy("resources/read", params: ["uri": "note://7"], session: session)
            #expect(legacy.errorCode == -32002)
            #expect(legacy.json?["error"]?["data"]?["uri"] == "note://7")
            let tooLong = try await client.legacy("resources/read", params: ["uri": .string(String(repeating: "a", count: 3000))], session: session)
            #expect(tooLong.errorCode == -32602)
        }
    }

    @Test("Without live changes, subscribing is not offered: legacy resources/subscribe is -32601")
    func noSubscriptionsWithoutChanges() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize()
            #expect(try await client.legacy("resources/subscribe", params: ["uri": "note://0"], session: session).errorCode == -32601)
        }
    }

    @Test("Notifications go only where asked: a stream hears updates of the URIs it subscribed to, and list changes only when asked")
    func notificationFiltering() {
        let change = ResourceChange.changed(uris: ["a://1", "a://2"], listChanged: true)
        let both = MCPEndpoint.messages(for: change, subscribed: ["a://2", "a://3"], listChanged: true)
        #expect(both.map(\.method) == ["notifications/resources/updated", "notifications/resources/list_changed"])
        #expect(both.first?.params["uri"] == "a://2")
        #expect(MCPEndpoint.messages(for: change, subscribed: [], listChanged: false).isEmpty)
        let missed = MCPEndpoint.messages(for: .missed, subscribed: ["a://2", "a://1"], listChanged: false)
        #expect(missed.map { $0.params["uri"] } == ["a://1", "a://2"], "a missed change asks to read every subscribed resource again")
    }

    @Test("Legacy subscriptions are bounded per person: one person's many sessions evict only their own oldest")
    func subscriptionsBoundedPerPerson() {
        let streams = NotificationStreams(maxSessionsWithSubscriptions: 3)
        #expect(streams.subscribe(session: "victim", subject: "u_victim", uri: "a://1", limit: 2))
        for index in 0..<10 { #expect(streams.subscribe(session: "attacker-\(index)", subject: "u_attacker", uri: "a://1", limit: 2)) }
        #expect(streams.subscriptions(session: "victim") == ["a://1"], "another person's sessions never evict these")
        #expect(streams.subscriptions(session: "attacker-0").isEmpty, "the attacker's oldest went")
        #expect(streams.subscriptions(session: "attacker-9") == ["a://1"])
        #expect(streams.subscribe(session: "victim", subject: "u_victim", uri: "a://2", limit: 2))
        #expect(!streams.subscribe(session: "victim", subject: "u_victim", uri: "a://3", limit: 2), "at most `limit` URIs a session")
        streams.forget(session: "victim", subject: "u_victim")
        #expect(streams.subscriptions(session: "victim").isEmpty)
    }
}
