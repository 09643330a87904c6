import EndpointTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import MCPTestSupport
import Testing
import TodoDomain
import TodoMCP

@testable import HTTPServer

/// The six todo tools over MCP, in both eras.
@Suite("Todo tools")
struct TodoToolsTests {
    /// Every structured result matches its tool's output schema, and the text block is the same JSON (7.9, 7.10).
    func expectWellFormed(_ answer: MCPAnswer, tool: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == .ok, sourceLocation: sourceLocation)
        #expect(!answer.isToolError, "\(answer.body)", sourceLocation: sourceLocation)
        guard let structured = answer.structured,
            let schema = TodoTools.all(service: .init(repository: InMemoryTodoRepository())).first(where: { $0.name == tool })?.outputSchema
        else {
            Issue.record("no structured content or schema", sourceLocation: sourceLocation)
            return
        }
        #expect(SchemaValidator().violations(of: schema, by: structured, at: "result") == [], sourceLocation: sourceLocation)
        #expect(answer.toolText.flatMap { try? JSONValue.parse(Array($0.utf8)) } == structured, sourceLocation: sourceLocation)
    }

    @Test("The eight tools are listed in order with strict schemas, titles and every annotation (7.4, 7.13)")
    func listing() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let result = try #require(try await client.modern("tools/list").result)
            guard case .array(let tools)? = result["tools"] else { Issue.record("no tools"); return }
            #expect(
                tools.compactMap { $0["name"]?.stringValue } == [
                    "list_todos", "get_todo", "create_todo", "update_todo", "complete_todo", "complete_todos", "delete_todo",
                    "set_time_zone",
                ]
            )
            for tool in tools {
                let name = tool["name"]?.stringValue ?? "?"
                #expect(tool["inputSchema"]?["type"] == "object", "\(name)")
                #expect(tool["inputSchema"]?["additionalProperties"] == false, "\(name)")
                #expect(tool["outputSchema"]?["type"] == "object", "\(name)")
                #expect(tool["title"]?.stringValue?.isEmpty == false, "\(name)")
                for hint in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
                    #expect(tool["annotations"]?[hint]?.boolValue != nil, "\(name) \(hint)")
                }
            }
            #expect(tools[0]["annotations"]?["readOnlyHint"] == true)
            #expect(tools[6]["annotations"]?["destructiveHint"] == true)
            #expect(tools[5]["annotations"]?["destructiveHint"] == false, "completing is not destructive")
        }
    }

    @Test("Filters, tags, complete_todos and set_time_zone through MCP, with well-formed results and errors the model can act on")
    func filtersAndBulk() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            // The fixture's clock reads 2027-01-15T08:00:00Z.
            let late = try await client.callTool("create_todo", ["title": "Late", "dueDate": "2027-01-14", "tags": ["Work", "#work"]])
            self.expectWellFormed(late, tool: "create_todo")
            #expect(late.structured?["tags"] == ["work"])
            _ = try await client.callTool("create_todo", ["title": "Now", "dueDate": "2027-01-15", "priority": "high"])
            let listed = try await client.callTool("list_todos", ["overdue": true])
            self.expectWellFormed(listed, tool: "list_todos")
            #expect(listed.structured?["todos"]?.jsonString.contains("Late") == true)
            #expect(listed.structured?["todos"]?.jsonString.contains("Now") == false)
            let honolulu = try await client.callTool("list_todos", ["today": true, "time_zone": "Pacific/Honolulu"])
            #expect(honolulu.structured?["todos"]?.jsonString.contains("Late") == true)
            let tagged = try await client.callTool("list_todos", ["tag": "WORK", "priority": "normal"])
            #expect(tagged.structured?["todos"]?.jsonString.contains("Late") == true)

            let conflicting = try await client.callTool("list_todos", ["overdue": true, "status": "completed"])
            #expect(conflicting.isToolError && conflicting.toolText?.contains("overdue lists open todos only") == true)
            let badZone = try await client.callTool("list_todos", ["today": true, "time_zone": "Moon/Base"])
            #expect(badZone.isToolError && badZone.toolText?.contains("IANA") == true)
            let tooMany = try await client.callTool("create_todo", ["title": "x", "tags": .array((0...20).map { .string("t\($0)") })])
            #expect(tooMany.isToolError && tooMany.toolText?.contains("at most 20") == true)

            let id = try #require(late.structured?["id"])
            let bulk = try await client.callTool("complete_todos", ["ids": [id, "t_0000000000000000000000000a"]])
            self.expectWellFormed(bulk, tool: "complete_todos")
            #expect(bulk.structured?["notFound"] == ["t_0000000000000000000000000a"])
            let empty = try await client.callTool("complete_todos", ["ids": []])
            #expect(empty.isToolError && empty.toolText?.contains("at least 1") == true)
            let huge = try await client.callTool("complete_todos", ["ids": .array((0...100).map { _ in id })])
            #expect(huge.isToolError && huge.toolText?.contains("at most 100") == true)

            let zone = try await client.callTool("set_time_zone", ["timeZone": "Pacific/Honolulu"])
            self.expectWellFormed(zone, tool: "set_time_zone")
            #expect(zone.structured == ["timeZone": "Pacific/Honolulu", "today": "2027-01-14"])
            #expect(try await client.callTool("set_time_zone", ["timeZone": "Nowhere/Land"]).isToolError)
            #expect(try await client.callTool("set_time_zone", ["timeZone": .null]).structured?["today"] == "2027-01-15")
        }
    }

    @Test("Create, get, list, update, complete, reopen and delete")
    func roundTrip() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let created = try await client.callTool(
                "create_todo",
                ["title": "  Buy milk ", "notes": "2 litres", "dueDate": "2026-12-01", "priority": "high"]
            )
            self.expectWellFormed(created, tool: "create_todo")
            let todo = try #require(created.structured)
            let id = try #require(todo["id"]?.stringValue)
            #expect(todo["title"] == "Buy milk")
            #expect(todo["dueDate"] == "2026-12-01")
            #expect(todo["priority"] == "high")
            #expect(todo["completed"] == false)
            #expect(todo["completedAt"] == .null)
            #expect(todo["createdAt"] == "2027-01-15T08:00:00.000Z")

            let fetched = try await client.callTool("get_todo", ["id": .string(id)])
            self.expectWellFormed(fetched, tool: "get_todo")
            #expect(fetched.structured == todo)

            let listed = try await client.callTool("list_todos")
            self.expectWellFormed(listed, tool: "list_todos")
            #expect(listed.structured?["todos"] == [todo])
            #expect(listed.structured?["nextCursor"] == .null)

            fixture.clock.advance(seconds: 60)
            let updated = try await client.callTool(
                "update_todo",
                ["id": .string(id), "title": "Buy oat milk", "notes": nil, "dueDate": nil, "priority": "low"]
            )
            self.expectWellFormed(updated, tool: "update_todo")
            #expect(updated.structured?["title"] == "Buy oat milk")
            #expect(updated.structured?["notes"] == .null)
            #expect(updated.structured?["dueDate"] == .null)
            #expect(updated.structured?["priority"] == "low")
            #expect(updated.structured?["updatedAt"] == "2027-01-15T08:01:00.000Z")

            let completed = try await client.callTool("complete_todo", ["id": .string(id)])
            self.expectWellFormed(completed, tool: "complete_todo")
            #expect(completed.structured?["completed"] == true)
            #expect(completed.structured?["completedAt"] == "2027-01-15T08:01:00.000Z")
            #expect(try await client.callTool("list_todos").structured?["todos"] == [])
            #expect(try await client.callTool("list_todos", ["status": "completed"]).structured?["todos"]?.arrayCount == 1)

            let reopened = try await client.callTool("update_todo", ["id": .string(id), "completed": false])
            #expect(reopened.structured?["completed"] == false)
            #expect(reopened.structured?["completedAt"] == .null)

            let deleted = try await client.callTool("delete_todo", ["id": .string(id)])
            self.expectWellFormed(deleted, tool: "delete_todo")
            #expect(deleted.structured?["deleted"] == true)
            #expect(deleted.structured?["todo"]?["id"] == .string(id))
            let gone = try await client.callTool("get_todo", ["id": .string(id)])
            #expect(gone.isToolError)
        }
    }

    @Test(
        "Domain validation failures are tool errors naming the field (7.11, 1B.8)",
        arguments: [
            (["title": "   "], "title"),
            (["title": "two\nlines"], "title"),
            (["title": .string(String(repeating: "a", count: 201))], "title"),
            (["title": "ok", "dueDate": "2026-02-30"], "dueDate"),
            (["title": "ok", "notes": .string(String(repeating: "n", count: 5_001))], "notes"),
        ] as [([String: JSONValue], String)]
    )
    func domainValidation(_ arguments: [String: JSONValue], _ field: String) async throws {
        var fixture = try await MCPFixture()
        fixture.configurationForLargeBodies()
        try await fixture.app().test(.router) { client in
            let answer = try await client.callTool("create_todo", arguments)
            #expect(answer.status == .ok)
            #expect(answer.json?["error"] == nil, "not a JSON-RPC error")
            #expect(answer.isToolError)
            #expect(answer.toolText?.hasPrefix(field) == true, "\(answer.toolText ?? "")")
            #expect(try await client.callTool("list_todos", ["status": "all"]).structured?["todos"] == [], "nothing stored")
        }
    }

    @Test(
        "Arguments that break the input schema are tool errors, before the handler runs",
        arguments: [
            (["title": 5], "arguments.title must be string"),
            ([:], "arguments.title is required"),
            (["title": "ok", "colour": "red"], "arguments.colour is not a known property"),
            (["title": "ok", "priority": "urgent"], "arguments.priority must be one of"),
        ] as [([String: JSONValue], String)]
    )
    func schemaValidation(_ arguments: [String: JSONValue], _ message: String) async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.callTool("create_todo", arguments)
            #expect(answer.isToolError)
            #expect(answer.toolText?.contains(message) == true, "\(answer.toolText ?? "")")
            #expect(try await client.callTool("list_todos", ["status": "all"]).structured?["todos"] == [])
        }
    }

    @Test("List arguments are validated too")
    func listValidation() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            #expect(try await client.callTool("list_todos", ["limit": 0]).isToolError)
            #expect(try await client.callTool("list_todos", ["limit": 201]).isToolError)
            #expect(try await client.callTool("list_todos", ["status": "done"]).isToolError)
            let badCursor = try await client.callTool("list_todos", ["cursor": "garbage"])
            #expect(badCursor.isToolError)
            #expect(badCursor.toolText?.contains("cursor") == true)
        }
    }

    @Test("Paging through tools with limit and nextCursor")
    func paging() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            for index in 0..<5 {
                fixture.clock.advance(seconds: 1)
                _ = try await client.callTool("create_todo", ["title": .string("todo \(index)")])
            }
            var titles: [String] = []
            var cursor: JSONValue = .null
            for _ in 0..<5 {
                var arguments: [String: JSONValue] = ["limit": 2]
                if cursor != .null { arguments["cursor"] = cursor }
                let page = try await client.callTool("list_todos", arguments)
                if case .array(let todos)? = page.structured?["todos"] { titles += todos.compactMap { $0["title"]?.stringValue } }
                cursor = page.structured?["nextCursor"] ?? .null
                if cursor == .null { break }
            }
            #expect(titles == (0..<5).map { "todo \($0)" })
        }
    }

    @Test("Unknown ids are tool errors; an unknown tool is -32602 (7.11)")
    func unknownThings() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            for tool in ["get_todo", "complete_todo", "delete_todo"] {
                let answer = try await client.callTool(tool, ["id": "t_00000000000000000000000000"])
                #expect(answer.isToolError, "\(tool)")
                #expect(answer.toolText?.contains("list_todos") == true)
            }
            let unknownTool = try await client.callTool("drop_tables")
            #expect(unknownTool.status == .ok)
            #expect(unknownTool.errorCode == -32602)
            let noName = try await client.modern("tools/call", params: ["arguments": [:]])
            #expect(noName.errorCode == -32602)
            let badArguments = try await client.modern("tools/call", params: ["name": "list_todos", "arguments": [1, 2]])
            #expect(badArguments.errorCode == -32602)
        }
    }

    @Test("Two users never see or touch each other's todos, in either era")
    func twoUsers() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let alices = try await client.callTool("create_todo", ["title": "Alice's secret"], token: "alice")
            let id = try #require(alices.structured?["id"])
            _ = try await client.callTool("create_todo", ["title": "Bob's errand"], token: "bob")

            let bobsList = try await client.callTool("list_todos", ["status": "all"], token: "bob")
            #expect(bobsList.structured?["todos"]?.arrayCount == 1)
            #expect(!bobsList.body.contains("Alice's secret"))

            for tool in ["get_todo", "complete_todo", "delete_todo"] {
                let attempt = try await client.callTool(tool, ["id": id], token: "bob")
                #expect(attempt.isToolError, "\(tool)")
                #expect(!attempt.body.contains("Alice's secret"))
            }
            let overwrite = try await client.callTool("update_todo", ["id": id, "title": "Bob was here"], token: "bob")
            #expect(overwrite.isToolError)

            let bobSession = try await client.initialize(token: "bob")
            let legacyGet = try await client.legacy(
                "tools/call",
                params: ["name": "get_todo", "arguments": ["id": id]],
                session: bobSession,
                token: "bob"
            )
            #expect(legacyGet.isToolError)

            let untouched = try await client.callTool("get_todo", ["id": id], token: "alice")
            #expect(untouched.structured?["title"] == "Alice's secret")
            #expect(untouched.structured?["completed"] == false)
        }
    }
}

extension JSONValue {
    var arrayCount: Int? {
        if case .array(let items) = self { return items.count }
        return nil
    }
}

extension MCPFixture {
    /// Room for the largest valid arguments.
    mutating func configurationForLargeBodies() {
        self.configuration.maxRequestBytes = 1 << 20
    }
}

@Suite("Timestamps")
struct TimestampTests {
    /// Exact to the stored millisecond (Foundation's formatter, working on a Double, can print one less).
    @Test(
        arguments: [
            (0, "1970-01-01T00:00:00.000Z"), (1_800_000_000_000, "2027-01-15T08:00:00.000Z"), (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (4_102_444_799_999, "2099-12-31T23:59:59.999Z"), (1_709_164_800_123, "2024-02-29T00:00:00.123Z"), (-1, "1969-12-31T23:59:59.999Z"),
            (-86_400_001, "1969-12-30T23:59:59.999Z"), (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000, "10000-01-01T00:00:00.000Z"), (-62_004_005_876_996, "0005-03-04T01:02:03.004Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"), (-62_167_219_200_001, "-0001-12-31T23:59:59.999Z"),
            (1_785_151_199_999, "2026-07-27T11:19:59.999Z"),
        ] as [(Int64, String)]
    )
    func iso8601(_ milliseconds: Int64, _ expected: String) {
        #expect(Timestamp.iso8601(millisecondsSince1970: milliseconds) == expected)
        #expect(Timestamp.iso8601(Date(millisecondsSince1970: milliseconds)) == expected, "a date rounds to its nearest millisecond")
    }

    @Test("Times far beyond any calendar, or not numbers at all, print without trapping")
    func extremes() {
        for milliseconds in [Int64.max, .min] { #expect(!Timestamp.iso8601(millisecondsSince1970: milliseconds).isEmpty) }
        for date in [Date.distantFuture, .distantPast, Date(timeIntervalSince1970: .infinity), Date(timeIntervalSince1970: .nan)] {
            #expect(Timestamp.iso8601(date).hasSuffix("Z"))
        }
    }
}
