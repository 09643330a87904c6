import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import MCPCore
import MCPTestSupport
import Synchronization
import Testing
import TodoDomain
import TodoMCP

/// Accepts the tokens it holds, which a test may revoke.
final class RevocableAuthenticator: BearerAuthenticator {
    let tokens: Mutex<[String: Principal]>

    init(_ tokens: [String: Principal]) { self.tokens = Mutex(tokens) }

    func authenticate(token: String) async -> Principal? { self.tokens.withLock { $0[token] } }

    func revoke(_ token: String) { _ = self.tokens.withLock { $0.removeValue(forKey: token) } }
}

/// The todo tools, prompts and resources with a change feed, on an MCP endpoint called directly,
/// so that streamed answers can be read as they are written.
struct LiveFixture {
    let feed = TodoChangeFeed()
    let service: TodoService
    let authenticator = RevocableAuthenticator([
        "alice": Principal(subject: "u_alice", scopes: ["todos:read", "todos:write"]),
        "alice-2": Principal(subject: "u_alice", scopes: ["todos:read", "todos:write"]),
        "bob": Principal(subject: "u_bob", scopes: ["todos:read", "todos:write"]),
        "alice-write": Principal(subject: "u_alice", scopes: ["todos:write"]),
    ])
    let client: EndpointTestClient

    init(maxStreams: Int = 10, keepAlive: Duration = .seconds(60)) {
        let clock = TestClock()
        self.service = TodoService(repository: InMemoryTodoRepository(), now: clock.now, changes: self.feed)
        let endpoint = MCPEndpoint(
            configuration: MCPEndpointConfiguration(
                serverInfo: ServerInfo(name: "todo-server", version: "1"),
                resourceMetadataURL: "https://todo.example.com/.well-known/oauth-protected-resource",
                allowedOrigins: [],
                maxStreamsPerSubject: maxStreams,
                maxSubscriptionsPerStream: 3,
                keepAliveInterval: keepAlive
            ),
            tools: TodoTools.all(service: self.service),
            prompts: TodoPrompts.all(service: self.service),
            resources: TodoResources(service: self.service, feed: self.feed),
            authenticator: self.authenticator,
            sessions: InMemorySessionStore(),
            now: clock.now
        )
        self.client = EndpointTestClient([endpoint])
    }

    func listen(_ filter: JSONValue, id: JSONValue = 7, token: String = "alice") async throws -> MCPAnswer {
        try await self.client.modern("subscriptions/listen", params: ["notifications": filter], id: id, token: token)
    }

    func create(_ title: String, token: String = "alice") async throws -> String {
        let answer = try await self.client.callTool("create_todo", ["title": .string(title), "dueDate": "2027-01-15"], token: token)
        return try #require(answer.structured?["id"]?.stringValue)
    }
}

@Suite("Live notifications", .timeLimit(.minutes(1)))
struct LiveNotificationTests {

    @Test("subscriptions/listen: the acknowledgment comes first with the honoured subset, then only what was asked, tagged with the subscription id")
    func modernListen() async throws {
        let fixture = LiveFixture()
        let existing = try await fixture.create("Existing")
        let answer = try await fixture.listen([
            "resourcesListChanged": true, "toolsListChanged": true,
            "resourceSubscriptions": [.string("todo://todos/\(existing)"), "todo://views/today", "https://elsewhere/x"],
        ])
        #expect(answer.status == .ok)
        #expect(answer.headers[.contentType] == "text/event-stream")
        #expect(answer.headers[HTTPField.Name("X-Accel-Buffering")!] == "no")
        let stream = try #require(answer.stream)
        let ack = try #require(await stream.nextMessage()?.json)
        #expect(ack["method"] == "notifications/subscriptions/acknowledged")
        #expect(ack["params"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == 7)
        #expect(
            ack["params"]?["notifications"]
                == ["resourcesListChanged": true, "resourceSubscriptions": [.string("todo://todos/\(existing)"), "todo://views/today"]],
            "tools never change, and a URI of no resource here is not honoured"
        )

        _ = try await fixture.create("Bob's", token: "bob")
        _ = try await fixture.client.callTool("update_todo", ["id": .string(existing), "title": "Renamed"], token: "alice-2")
        let first = try #require(await stream.nextMessage()?.json)
        #expect(first["method"] == "notifications/resources/updated", "Bob's write is never heard; alice's other client's is")
        #expect(first["params"]?["uri"] == .string("todo://todos/\(existing)"))
        #expect(first["params"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == 7)
        let second = try #require(await stream.nextMessage()?.json)
        #expect(second["params"]?["uri"] == "todo://views/today")
        let third = try #require(await stream.nextMessage()?.json)
        #expect(third["method"] == "notifications/resources/list_changed")
        #expect(third["params"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == 7)

        stream.stop()
        let cancelled = try #require(await stream.nextMessage()?.json)
        #expect(cancelled["method"] == "notifications/cancelled")
        #expect(cancelled["params"]?["requestId"] == 7)
        let final = try #require(await stream.nextMessage()?.json)
        #expect(final["id"] == 7)
        #expect(final["result"]?["resultType"] == "complete")
        #expect(final["result"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == 7)
        #expect(await stream.next() == nil)
        #expect(await stream.finished() == nil)
        #expect(fixture.feed.subscriberCount(owner: UserID("u_alice")) == 0)
    }

    @Test("With live changes, both eras announce resource subscriptions and list changes")
    func liveCapabilities() async throws {
        let fixture = LiveFixture()
        let expected: JSONValue = ["subscribe": true, "listChanged": true]
        #expect(try await fixture.client.modern("server/discover").result?["capabilities"]?["resources"] == expected)
        let initialized = try await fixture.client.mcp(
            body: JSONValue([
                "jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": ["protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"]],
            ]).jsonString
        )
        #expect(initialized.result?["capabilities"]?["resources"] == expected)
    }

    @Test("A stream that asked for nothing hears nothing but keep-alives")
    func nothingUnasked() async throws {
        let fixture = LiveFixture(keepAlive: .milliseconds(5))
        let stream = try #require(try await fixture.listen([:]).stream)
        let ack = try #require(await stream.nextMessage()?.json)
        #expect(ack["params"]?["notifications"] == [:])
        _ = try await fixture.create("Unheard")
        for _ in 0..<3 { #expect(await stream.next() == ": keep-alive\n\n") }
        stream.stop()
        await stream.finished()
    }

    @Test("A client that goes away ends its stream and frees its place; at the limit a stream is refused with 429")
    func limitsAndDisconnects() async throws {
        let fixture = LiveFixture(maxStreams: 2)
        let first = try #require(try await fixture.listen(["resourcesListChanged": true]).stream)
        let second = try #require(try await fixture.listen(["resourcesListChanged": true], token: "alice-2").stream)
        _ = await first.nextMessage()
        _ = await second.nextMessage()
        let refused = try await fixture.listen(["resourcesListChanged": true])
        #expect(refused.status == .tooManyRequests)
        #expect(refused.json?["error"]?["message"]?.stringValue?.contains("at most") == true || refused.body.contains("the most allowed"))
        #expect(try await fixture.listen(["resourcesListChanged": true], token: "bob").status == .ok, "the limit is per person")

        first.disconnect()
        _ = try await fixture.create("Wakes the stream")
        #expect(await first.finished() != nil, "the failed send ended it")
        let again = try #require(try await fixture.listen(["resourcesListChanged": true]).stream)
        #expect(await again.nextMessage()?.json?["method"] == "notifications/subscriptions/acknowledged")
        again.stop()
        second.stop()
        await again.finished()
        await second.finished()
    }

    @Test("A revoked token ends its stream at the next keep-alive, with an error for the listen request")
    func revokedTokenEndsTheStream() async throws {
        let fixture = LiveFixture(keepAlive: .milliseconds(10))
        let stream = try #require(try await fixture.listen(["resourcesListChanged": true], id: "listen-1", token: "alice-2").stream)
        _ = await stream.nextMessage()
        fixture.authenticator.revoke("alice-2")
        let cancelled = try #require(await stream.nextMessage()?.json)
        #expect(cancelled["method"] == "notifications/cancelled")
        let ending = try #require(await stream.nextMessage()?.json)
        #expect(ending["id"] == "listen-1")
        #expect(ending["error"]?["message"]?.stringValue?.contains("refresh") == true)
        #expect(await stream.next() == nil)
    }

    @Test("A revoked token ends its stream within a keep-alive interval even while changes keep it busy")
    func revokedWhileBusy() async throws {
        let fixture = LiveFixture(keepAlive: .milliseconds(50))
        let stream = try #require(try await fixture.listen(["resourcesListChanged": true], token: "alice-2").stream)
        _ = await stream.nextMessage()
        fixture.authenticator.revoke("alice-2")
        let writer = Task {
            // Another client of the same person writes far more often than the keep-alive interval.
            for index in 0..<2_000 where !Task.isCancelled {
                _ = try? await fixture.create("Busy \(index)")
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        var sawError = false
        while let message = await stream.nextMessage() {
            if message.json?["error"] != nil { sawError = true }
        }
        writer.cancel()
        #expect(sawError, "the stream ended with an error for the listen request")
        #expect(await stream.finished() == nil)
    }

    @Test(
        "Bad listen requests get a clear error",
        arguments: [
            (nil, -32602),
            ("everything", -32602),
            (["resourcesListChanged": "yes"], -32602),
            (["resourceSubscriptions": [1]], -32602),
            (["resourceSubscriptions": ["a://1", "a://2", "a://3", "a://4"]], -32602),
            (["resourceSubscriptions": [.string("todo://" + String(repeating: "x", count: 3000))]], -32602),
        ] as [(JSONValue?, Int64)]
    )
    func badListen(_ filter: JSONValue?, code: Int64) async throws {
        let fixture = LiveFixture()
        let answer = try await fixture.client.modern("subscriptions/listen", params: filter.map { ["notifications": $0] } ?? [:])
        #expect(answer.errorCode == code)
        #expect(answer.stream == nil)
    }

    @Test("Listening needs text/event-stream in Accept and the read scope")
    func listenPreconditions() async throws {
        let fixture = LiveFixture()
        let body = JSONValue([
            "jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen",
            "params": [
                "notifications": ["resourcesListChanged": true],
                "_meta": ["io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": [:]],
            ],
        ]).jsonString
        let headers: HTTPFields = [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "subscriptions/listen"]
        let jsonOnly = try await fixture.client.mcp(body: body, headers: headers, accept: "application/json")
        #expect(jsonOnly.status == .notAcceptable)
        let unscoped = try await fixture.client.mcp(body: body, token: "alice-write", headers: headers)
        #expect(unscoped.status == .forbidden)
    }

    @Test("Legacy: resources/subscribe, then the session's GET stream hears updates of the subscribed URIs and list changes; unsubscribe stops them")
    func legacyStream() async throws {
        let fixture = LiveFixture()
        let client = fixture.client
        let session = try await client.initialize()
        let initialized = try await client.legacy("ping", session: session)
        #expect(initialized.status == .ok)
        #expect(try await client.legacy("resources/subscribe", params: ["uri": "todo://views/open"], session: session).result == [:])
        #expect(try await client.legacy("resources/subscribe", params: ["uri": "https://x/y"], session: session).errorCode == -32602)
        for uri in ["todo://views/today", "todo://views/overdue"] {
            _ = try await client.legacy("resources/subscribe", params: ["uri": .string(uri)], session: session)
        }
        let overLimit = try await client.legacy("resources/subscribe", params: ["uri": "todo://todos/t_0000000000000000000000000a"], session: session)
        #expect(overLimit.errorCode == -32602, "at most three subscriptions here")

        let get = try await client.mcp(.get, headers: [.mcpSessionID: session], contentType: nil, accept: "text/event-stream")
        let stream = try #require(get.stream)
        let priming = try #require(await stream.next())
        #expect(priming.hasPrefix("id: ") && priming.contains("retry: "))

        _ = try await fixture.create("Bob's", token: "bob")
        _ = try await fixture.create("Mine")
        let updated = try #require(await stream.nextEvent())
        #expect(updated.hasPrefix("id: ") && updated.contains("\nevent: message\ndata: "))
        let message = try #require(await stream.nextMessage()).json  // views/today
        #expect(message?["method"] == "notifications/resources/updated")
        #expect(message?["params"]?["_meta"] == nil, "legacy notifications carry no subscription id")
        _ = await stream.nextMessage()  // views/overdue
        let listChanged = try #require(await stream.nextMessage()?.json)
        #expect(listChanged["method"] == "notifications/resources/list_changed")
        #expect(updated.contains("todo://views/open"))

        for uri in ["todo://views/open", "todo://views/today", "todo://views/overdue"] {
            _ = try await client.legacy("resources/unsubscribe", params: ["uri": .string(uri)], session: session)
        }
        _ = try await fixture.create("Unsubscribed")
        #expect(try #require(await stream.nextMessage()?.json)["method"] == "notifications/resources/list_changed")

        stream.stop()
        #expect(await stream.next() == nil, "a legacy stream just ends")
    }

    @Test("Ending the session ends its GET stream at the next keep-alive")
    func endedSession() async throws {
        let fixture = LiveFixture(keepAlive: .milliseconds(10))
        let session = try await fixture.client.initialize()
        let stream = try #require(
            try await fixture.client.mcp(.get, headers: [.mcpSessionID: session], contentType: nil, accept: "text/event-stream").stream
        )
        _ = await stream.next()
        #expect(try await fixture.client.mcp(.delete, headers: [.mcpSessionID: session]).status == .noContent)
        while let piece = await stream.next() { #expect(piece == ": keep-alive\n\n") }
        #expect(await stream.finished() == nil)
    }
}

@Suite("Todo resources and prompts")
struct TodoResourcesTests {
    func read(_ fixture: LiveFixture, _ uri: String, token: String = "alice") async throws -> MCPAnswer {
        try await fixture.client.modern(
            "resources/read",
            params: ["uri": .string(uri)],
            token: token,
            headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "resources/read", .mcpName: uri]
        )
    }

    @Test("Tool results that return a todo carry a resource_link to it; reading it gives JSON and Markdown; another person's is not found")
    func todoResource() async throws {
        let fixture = LiveFixture()
        let created = try await fixture.client.callTool(
            "create_todo",
            ["title": "Call <Mum>", "notes": "Sunday", "dueDate": "2027-01-14", "priority": "high", "tags": ["Family"]]
        )
        let id = try #require(created.structured?["id"]?.stringValue)
        guard case .array(let content)? = created.result?["content"] else { Issue.record("no content"); return }
        #expect(content.count == 2)
        #expect(content[1]["type"] == "resource_link")
        #expect(content[1]["uri"] == .string("todo://todos/\(id)"))
        #expect(content[1]["title"] == "Call <Mum>")
        #expect(content[1]["annotations"]?["lastModified"] == "2027-01-15T08:00:00.000Z")

        let result = try #require(try await self.read(fixture, "todo://todos/\(id)").result)
        guard case .array(let contents)? = result["contents"] else { Issue.record("no contents"); return }
        #expect(contents.map { $0["mimeType"] } == ["application/json", "text/markdown"])
        #expect(contents[0]["text"]?.stringValue.flatMap { try? JSONValue.parse(Array($0.utf8)) }?["tags"] == ["family"])
        let markdown = try #require(contents[1]["text"]?.stringValue)
        #expect(markdown.contains("# Call <Mum>") && markdown.contains("- Due: 2027-01-14 (overdue)") && markdown.contains("- Tags: family"))

        let bobs = try await self.read(fixture, "todo://todos/\(id)", token: "bob")
        let missing = try await self.read(fixture, "todo://todos/t_0000000000000000000000000a")
        let malformed = try await self.read(fixture, "todo://todos/../../etc/passwd")
        for answer in [bobs, missing, malformed] { #expect(answer.errorCode == -32602) }
        #expect(bobs.json?["error"]?["message"]?.stringValue?.contains("Mum") == false)
    }

    @Test("resources/list starts with the widget and the views, then the open todos in pages; views read the right todos")
    func listAndViews() async throws {
        let fixture = LiveFixture()
        _ = try await fixture.client.callTool("create_todo", ["title": "Late", "dueDate": "2027-01-10"])
        _ = try await fixture.client.callTool("create_todo", ["title": "Now", "dueDate": "2027-01-15"])
        let doneID = try await fixture.create("Done")
        _ = try await fixture.client.callTool("complete_todo", ["id": .string(doneID)])
        _ = try await fixture.create("Bob's", token: "bob")
        let list = try #require(try await fixture.client.modern("resources/list").result)
        guard case .array(let resources)? = list["resources"] else { Issue.record("no resources"); return }
        #expect(
            resources.map { $0["uri"]?.stringValue ?? "" }.prefix(4) == [
                TodoWidget.view.uri, "todo://views/open", "todo://views/today", "todo://views/overdue",
            ]
        )
        #expect(resources.dropFirst(4).map { $0["title"] } == ["Late", "Now"])
        #expect(list["cacheScope"] == "private")

        func titles(_ view: String) async throws -> [String] {
            let text = try await self.read(fixture, "todo://views/\(view)").result?["contents"]
            guard case .array(let contents)? = text,
                let json = contents.first?["text"]?.stringValue.flatMap({ try? JSONValue.parse(Array($0.utf8)) }),
                case .array(let todos)? = json["todos"]
            else { return [] }
            return todos.compactMap { $0["title"]?.stringValue }
        }
        #expect(try await titles("open") == ["Late", "Now"])
        #expect(try await titles("today") == ["Now"])
        #expect(try await titles("overdue") == ["Late"])
        #expect(try await self.read(fixture, "todo://views/everything").errorCode == -32602)
    }

    @Test("plan-my-day embeds the person's relevant todos as text and resource links; a bad date is -32602; prompts need the read scope")
    func planMyDay() async throws {
        let fixture = LiveFixture()
        _ = try await fixture.client.callTool("create_todo", ["title": "Overdue thing", "dueDate": "2027-01-10"])
        _ = try await fixture.client.callTool("create_todo", ["title": "Today thing", "dueDate": "2027-01-15"])
        _ = try await fixture.client.callTool("create_todo", ["title": "Urgent undated", "priority": "high"])
        _ = try await fixture.client.callTool("create_todo", ["title": "Someday"])
        _ = try await fixture.create("Bob's secret", token: "bob")
        func get(_ name: String, _ arguments: [String: JSONValue] = [:], token: String = "alice") async throws -> MCPAnswer {
            try await fixture.client.modern("prompts/get", params: ["name": .string(name), "arguments": .object(arguments)], token: token)
        }
        let plan = try await get("plan-my-day")
        guard case .array(let messages)? = plan.result?["messages"] else { Issue.record("no messages: \(plan.body)"); return }
        let text = try #require(messages.first?["content"]?["text"]?.stringValue)
        #expect(text.contains("Overdue thing") && text.contains("Today thing") && text.contains("Urgent undated"))
        #expect(!text.contains("Someday") && !plan.body.contains("Bob"))
        #expect(messages.dropFirst().compactMap { $0["content"]?["type"] } == ["resource_link", "resource_link", "resource_link"])

        let otherDay = try await get("plan-my-day", ["date": "2027-01-10"])
        #expect(otherDay.body.contains("Overdue thing"))
        #expect(try await get("plan-my-day", ["date": "next week"]).errorCode == -32602)
        #expect(try await get("plan-my-day", token: "alice-write").status == .forbidden)

        let triage = try await get("triage")
        #expect(triage.body.contains("Someday") && triage.body.contains("Urgent undated") && !triage.body.contains("Today thing"))
        let review = try await get("weekly-review")
        #expect(review.body.contains("Overdue thing") && review.body.contains("Today thing"))
        let unknown = try await get("plan-my-week")
        #expect(unknown.errorCode == -32602)
        #expect(unknown.json?["error"]?["message"]?.stringValue?.contains("plan-my-day, weekly-review, triage") == true)
    }
}
