import Foundation
import Testing

@testable import TodoDomain

/// Tags, the listing filters (priority, tag, due range, today, overdue, time zones) and bulk completion.
@Suite("Todo filters, tags and bulk completion")
struct TodoFiltersTests {
    // The manual clock starts at 2027-01-15T08:00:00Z: still 2027-01-14 in Honolulu (UTC-10).

    @Test("Tags are trimmed, lose a leading #, are lowercased and composed, and repeat only once")
    func tagNormalization() throws {
        #expect(try TodoRules.tags(["  Work ", "#work", "Café", "Cafe\u{301}", "#  home"]) == ["work", "café", "home"])
        #expect(try TodoRules.tags(nil) == [])
        #expect(try TodoRules.tags([]) == [])
    }

    @Test(
        "Bad tags are refused with the rule they break",
        arguments: [
            ([" "], "a tag must not be blank."),
            (["#"], "a tag must not be blank."),
            ([String(repeating: "x", count: 41)], "a tag must be at most 40 characters"),
            (["a\tb"], "a tag must not contain control characters"),
            ((1...21).map { "t\($0)" }, "tags must hold at most 20 different tags; it has 21."),
            ([String(repeating: "e\u{301}", count: 300)], "a tag must be at most 400 bytes"),
        ]
    )
    func badTags(_ tags: [String], message: String) {
        #expect {
            try TodoRules.tags(tags)
        } throws: { error in
            (error as? TodoError)?.field == "tags" && "\(error)".contains(message)
        }
    }

    @Test("Tags are kept on create and replaced (or removed) on update")
    func tagsOnTodos() async throws {
        let (service, _) = makeService()
        let todo = try await service.create(NewTodo(title: "File taxes", tags: ["Admin", "#money"]), owner: alice)
        #expect(todo.tags == ["admin", "money"])
        #expect(try await service.get(todo.id.rawValue, owner: alice).tags == ["admin", "money"])
        let retagged = try await service.update(todo.id.rawValue, changes: TodoChanges(tags: ["home"]), owner: alice)
        #expect(retagged.tags == ["home"])
        let cleared = try await service.update(todo.id.rawValue, changes: TodoChanges(tags: []), owner: alice)
        #expect(cleared.tags == [])
    }

    @Test("An update that changes nothing stores nothing and keeps the update time")
    func noOpUpdate() async throws {
        let (service, clock) = makeService()
        let todo = try await service.create(NewTodo(title: "Same", priority: "high"), owner: alice)
        clock.advance(seconds: 60)
        let same = try await service.update(todo.id.rawValue, changes: TodoChanges(title: " Same ", priority: "high"), owner: alice)
        #expect(same == todo)
        let done = try await service.complete(todo.id.rawValue, owner: alice)
        clock.advance(seconds: 60)
        #expect(try await service.complete(todo.id.rawValue, owner: alice) == done, "completing twice keeps the first completion")
    }

    /// Alice's todos for the filter tests: due yesterday, today and tomorrow (UTC), undated, one completed.
    func filled() async throws -> (TodoService, ManualClock, [String: Todo]) {
        let (service, clock) = makeService()
        var todos: [String: Todo] = [:]
        todos["yesterday"] = try await service.create(
            NewTodo(title: "Yesterday", dueDate: "2027-01-14", priority: "high", tags: ["work"]),
            owner: alice
        )
        todos["today"] = try await service.create(NewTodo(title: "Today", dueDate: "2027-01-15", tags: ["homework"]), owner: alice)
        todos["tomorrow"] = try await service.create(
            NewTodo(title: "Tomorrow", dueDate: "2027-01-16", priority: "high", tags: ["work", "x"]),
            owner: alice
        )
        todos["undated"] = try await service.create(NewTodo(title: "Undated", priority: "low"), owner: alice)
        let old = try await service.create(NewTodo(title: "Done late", dueDate: "2027-01-10"), owner: alice)
        todos["done"] = try await service.complete(old.id.rawValue, owner: alice)
        _ = try await service.create(NewTodo(title: "Bob's", dueDate: "2027-01-15", priority: "high", tags: ["work"]), owner: bob)
        return (service, clock, todos)
    }

    func titles(_ service: TodoService, _ request: TodoListRequest) async throws -> [String] {
        try await service.list(request, owner: alice).todos.map(\.title)
    }

    @Test("Filters combine: priority, whole tags, due ranges that exclude their bounds and undated todos")
    func filters() async throws {
        let (service, _, _) = try await self.filled()
        #expect(try await self.titles(service, TodoListRequest(priority: "high")) == ["Yesterday", "Tomorrow"])
        #expect(try await self.titles(service, TodoListRequest(tag: "#WORK")) == ["Yesterday", "Tomorrow"], "homework is not work")
        #expect(try await self.titles(service, TodoListRequest(tag: "x")) == ["Tomorrow"])
        #expect(try await self.titles(service, TodoListRequest(dueAfter: "2027-01-14")) == ["Today", "Tomorrow"])
        #expect(try await self.titles(service, TodoListRequest(dueBefore: "2027-01-15")) == ["Yesterday"])
        #expect(try await self.titles(service, TodoListRequest(dueAfter: "2027-01-14", dueBefore: "2027-01-16")) == ["Today"])
        #expect(try await self.titles(service, TodoListRequest(status: .all, dueBefore: "2027-01-15")) == ["Yesterday", "Done late"])
        #expect(try await self.titles(service, TodoListRequest(priority: "high", tag: "work", dueAfter: "2027-01-15")) == ["Tomorrow"])
        #expect(try await self.titles(service, TodoListRequest(dueAfter: "2027-01-16", dueBefore: "2027-01-14")) == [])
        #expect(try await self.titles(service, TodoListRequest(status: .all, dueAfter: "9999-12-31")) == [], "no day follows the last")
        #expect(try await self.titles(service, TodoListRequest(undated: true)) == ["Undated"])
        #expect(
            try await self.titles(service, TodoListRequest(status: .all, completedSince: Date(timeIntervalSince1970: 1_800_000_000))) == ["Done late"]
        )
        #expect(try await self.titles(service, TodoListRequest(status: .all, completedSince: Date(timeIntervalSince1970: 1_800_000_001))) == [])
    }

    @Test("today and overdue follow the time zone asked, else the saved one, else UTC")
    func todayAndOverdue() async throws {
        let (service, _, _) = try await self.filled()
        #expect(try await self.titles(service, TodoListRequest(today: true)) == ["Today"])
        #expect(try await self.titles(service, TodoListRequest(overdue: true)) == ["Yesterday"], "completed todos are never overdue")
        #expect(try await self.titles(service, TodoListRequest(today: true, timeZone: "Pacific/Honolulu")) == ["Yesterday"])
        #expect(try await self.titles(service, TodoListRequest(overdue: true, timeZone: "Pacific/Honolulu")) == [])

        #expect(try await service.setTimeZone("Pacific/Honolulu", owner: alice) == TodoSettings(timeZone: "Pacific/Honolulu"))
        #expect(try await self.titles(service, TodoListRequest(today: true)) == ["Yesterday"])
        #expect(try await service.today(owner: alice).description == "2027-01-14")
        #expect(try await service.today(owner: bob).description == "2027-01-15", "one person's zone is theirs alone")
        #expect(try await self.titles(service, TodoListRequest(today: true, timeZone: "UTC")) == ["Today"], "the argument wins")
        #expect(try await service.setTimeZone(nil, owner: alice) == TodoSettings(timeZone: nil))
        #expect(try await service.today(owner: alice).description == "2027-01-15")
    }

    @Test(
        "Bad filters are refused with a message naming the argument",
        arguments: [
            (TodoListRequest(priority: "urgent"), "priority"),
            (TodoListRequest(tag: " "), "tag"),
            (TodoListRequest(dueAfter: "2027-02-30"), "due_after"),
            (TodoListRequest(dueBefore: "tomorrow"), "due_before"),
            (TodoListRequest(today: true, timeZone: "Mars/Olympus"), "time_zone"),
            (TodoListRequest(timeZone: "../../etc/passwd"), "time_zone"),
            (TodoListRequest(status: .completed, overdue: true), "overdue"),
            (TodoListRequest(overdue: true, today: true), "overdue"),
        ]
    )
    func badFilters(_ request: TodoListRequest, field: String) async throws {
        let (service, _) = makeService()
        await #expect {
            try await service.list(request, owner: alice)
        } throws: { error in
            (error as? TodoError)?.field == field
        }
    }

    @Test("A saved time zone must be an IANA name")
    func savedTimeZone() async throws {
        let (service, _) = makeService()
        await #expect(throws: TodoError.self) { try await service.setTimeZone("CET; DROP TABLE", owner: alice) }
        await #expect(throws: TodoError.self) { try await service.setTimeZone(String(repeating: "A", count: 100), owner: alice) }
        #expect(try await service.settings(owner: alice) == TodoSettings(timeZone: nil))
    }

    @Test("A cursor is bound to every filter: it pages within the same filters and is refused with others")
    func cursorsBindFilters() async throws {
        let (service, _, _) = try await self.filled()
        let first = try await service.list(TodoListRequest(tag: "work", limit: 1), owner: alice)
        let cursor = try #require(first.nextCursor)
        let next = try await service.list(TodoListRequest(tag: "work", limit: 1, cursor: cursor), owner: alice)
        #expect(first.todos.map(\.title) + next.todos.map(\.title) == ["Yesterday", "Tomorrow"])
        for other in [
            TodoListRequest(tag: "x", limit: 1, cursor: cursor), TodoListRequest(priority: "high", tag: "work", limit: 1, cursor: cursor),
            TodoListRequest(tag: "work", dueAfter: "2027-01-01", limit: 1, cursor: cursor),
        ] {
            await #expect(throws: TodoError.invalidCursor) { try await service.list(other, owner: alice) }
        }
    }

    @Test("complete_todos completes the caller's todos in one go, never undoes another client's change, and reports the others as not found, alike")
    func bulkCompletion() async throws {
        let (service, clock, todos) = try await self.filled()
        let bobs = try await service.list(TodoListRequest(), owner: bob).todos[0]
        clock.advance(seconds: 30)
        let ids = [todos["today"]!.id.rawValue, bobs.id.rawValue, "t_nope", todos["done"]!.id.rawValue, todos["today"]!.id.rawValue, "'; --"]
        let outcome = try await service.complete(ids: ids, owner: alice)
        #expect(outcome.completed.map(\.title) == ["Today", "Done late"])
        #expect(outcome.completed[0].completedAt == clock.now())
        #expect(outcome.completed[1] == todos["done"], "an already completed todo stays as it was")
        #expect(outcome.notFound == [bobs.id.rawValue, "t_nope", "'; --"])
        #expect(try await service.get(bobs.id.rawValue, owner: bob).isCompleted == false, "another person's todo is untouched")
        await #expect(throws: TodoError.self) { try await service.complete(ids: [], owner: alice) }
        await #expect(throws: TodoError.self) { try await service.complete(ids: (0...100).map { "t_\($0)" }, owner: alice) }
    }

    @Test("Days step across months, years and leap days")
    func calendarSteps() throws {
        #expect(CalendarDate("2028-02-28")?.next.description == "2028-02-29")
        #expect(CalendarDate("2027-02-28")?.next.description == "2027-03-01")
        #expect(CalendarDate("2027-12-31")?.next.description == "2028-01-01")
        #expect(CalendarDate("9999-12-31")?.next.description == "9999-12-31")
        #expect(CalendarDate("2028-03-01")?.previous?.description == "2028-02-29")
        #expect(CalendarDate("2027-01-01")?.previous?.description == "2026-12-31")
        #expect(CalendarDate("0001-01-01")?.previous == nil)
    }
}
