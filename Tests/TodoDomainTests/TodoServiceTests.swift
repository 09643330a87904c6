import Foundation
import Testing

@testable import TodoDomain

@Suite("Todo service")
struct TodoServiceTests {
    // MARK: Create, read, change

    @Test func createValidatesAndStores() async throws {
        let (service, clock) = makeService()
        let todo = try await service.create(
            NewTodo(title: "  Buy milk ", notes: "2 litres", dueDate: "2026-12-01", priority: "high"),
            owner: alice
        )
        #expect(todo.title == "Buy milk")
        #expect(todo.notes == "2 litres")
        #expect(todo.dueDate == CalendarDate("2026-12-01"))
        #expect(todo.priority == .high)
        #expect(!todo.isCompleted)
        #expect(todo.createdAt == WallClock(clock.now).now())
        #expect(todo.updatedAt == todo.createdAt)
        #expect(try await service.get(todo.id.rawValue, owner: alice) == todo)
    }

    @Test func createWithDefaults() async throws {
        let (service, _) = makeService()
        let todo = try await service.create(NewTodo(title: "Call mum"), owner: alice)
        #expect(todo.priority == .normal)
        #expect(todo.notes == nil && todo.dueDate == nil)
    }

    @Test func invalidInputStoresNothing() async throws {
        let (service, _) = makeService()
        let error = await #expect(throws: TodoError.self) {
            try await service.create(NewTodo(title: "ok", dueDate: "soon"), owner: alice)
        }
        #expect(error?.field == "dueDate")
        #expect(try await service.list(TodoListRequest(status: .all), owner: alice).todos.isEmpty)
    }

    @Test func updateChangesEveryEditableField() async throws {
        let (service, clock) = makeService()
        let todo = try await service.create(NewTodo(title: "Draft", notes: "old", dueDate: "2026-01-01"), owner: alice)
        clock.advance(seconds: 60)
        let updated = try await service.update(
            todo.id.rawValue,
            changes: TodoChanges(title: "Final", notes: .set("new"), dueDate: .set("2026-02-02"), priority: "low"),
            owner: alice
        )
        #expect(updated.title == "Final" && updated.notes == "new" && updated.priority == .low)
        #expect(updated.dueDate == CalendarDate("2026-02-02"))
        #expect(updated.createdAt == todo.createdAt)
        #expect(updated.updatedAt == WallClock(clock.now).now())
        #expect(try await service.get(todo.id.rawValue, owner: alice) == updated)

        let cleared = try await service.update(todo.id.rawValue, changes: TodoChanges(notes: .clear, dueDate: .clear), owner: alice)
        #expect(cleared.notes == nil && cleared.dueDate == nil)
    }

    @Test func anInvalidFieldLeavesTheTodoUnchanged() async throws {
        let (service, _) = makeService()
        let todo = try await service.create(NewTodo(title: "Keep me"), owner: alice)
        let error = await #expect(throws: TodoError.self) {
            try await service.update(todo.id.rawValue, changes: TodoChanges(title: "New", priority: "urgent"), owner: alice)
        }
        #expect(error?.field == "priority")
        #expect(try await service.get(todo.id.rawValue, owner: alice) == todo)
    }

    @Test func completeAndReopen() async throws {
        let (service, clock) = makeService()
        let todo = try await service.create(NewTodo(title: "Water plants"), owner: alice)
        clock.advance(seconds: 10)
        let done = try await service.complete(todo.id.rawValue, owner: alice)
        #expect(done.completedAt == WallClock(clock.now).now())

        clock.advance(seconds: 10)
        let again = try await service.complete(todo.id.rawValue, owner: alice)
        #expect(again.completedAt == done.completedAt, "completing twice keeps the first completion time")

        let reopened = try await service.update(todo.id.rawValue, changes: TodoChanges(completed: false), owner: alice)
        #expect(reopened.completedAt == nil)
        #expect(try await service.get(todo.id.rawValue, owner: alice).isCompleted == false)
    }

    @Test func deleteRemoves() async throws {
        let (service, _) = makeService()
        let todo = try await service.create(NewTodo(title: "Temporary"), owner: alice)
        #expect(try await service.delete(todo.id.rawValue, owner: alice) == todo)
        await #expect(throws: TodoError.notFound(id: todo.id.rawValue)) {
            try await service.get(todo.id.rawValue, owner: alice)
        }
        await #expect(throws: TodoError.notFound(id: todo.id.rawValue)) {
            try await service.delete(todo.id.rawValue, owner: alice)
        }
    }

    // MARK: Ownership

    @Test func anotherUsersTodoBehavesExactlyLikeAMissingOne() async throws {
        let (service, _) = makeService()
        let secret = try await service.create(NewTodo(title: "Alice's secret"), owner: alice)
        let missing = TodoID.random()

        for id in [secret.id, missing] {
            let expected = TodoError.notFound(id: id.rawValue)
            await #expect(throws: expected) { try await service.get(id.rawValue, owner: bob) }
            await #expect(throws: expected) {
                try await service.update(id.rawValue, changes: TodoChanges(title: "Mine now"), owner: bob)
            }
            await #expect(throws: expected) { try await service.complete(id.rawValue, owner: bob) }
            await #expect(throws: expected) { try await service.delete(id.rawValue, owner: bob) }
        }
        #expect(try await service.list(TodoListRequest(status: .all), owner: bob).todos.isEmpty)
        #expect(try await service.get(secret.id.rawValue, owner: alice) == secret, "Bob's attempts changed nothing")
    }

    @Test(arguments: ["", "not-an-id", "t_", "'; DROP TABLE todos; --"])
    func malformedIDsAreNotFound(_ id: String) async throws {
        let (service, _) = makeService()
        await #expect(throws: TodoError.notFound(id: id)) { try await service.get(id, owner: alice) }
    }

    // MARK: Listing

    @Test func listFiltersByStatus() async throws {
        let (service, _) = makeService()
        let open = try await service.create(NewTodo(title: "Open"), owner: alice)
        let done = try await service.create(NewTodo(title: "Done"), owner: alice)
        _ = try await service.complete(done.id.rawValue, owner: alice)

        #expect(try await service.list(TodoListRequest(status: .open), owner: alice).todos.map(\.id) == [open.id])
        #expect(try await service.list(TodoListRequest(status: .completed), owner: alice).todos.map(\.id) == [done.id])
        #expect(try await service.list(TodoListRequest(status: .all), owner: alice).todos.map(\.id) == [open.id, done.id])
    }

    @Test func listFiltersByText() async throws {
        let (service, _) = makeService()
        let milk = try await service.create(NewTodo(title: "Buy MILK"), owner: alice)
        let notes = try await service.create(NewTodo(title: "Groceries", notes: "eggs and milk"), owner: alice)
        _ = try await service.create(NewTodo(title: "Call Bob"), owner: alice)
        let percent = try await service.create(NewTodo(title: "Save 10% more"), owner: alice)

        #expect(Set(try await service.list(TodoListRequest(query: "milk"), owner: alice).todos.map(\.id)) == [milk.id, notes.id])
        #expect(try await service.list(TodoListRequest(query: "10%"), owner: alice).todos.map(\.id) == [percent.id])
        #expect(try await service.list(TodoListRequest(query: "%"), owner: alice).todos.map(\.id) == [percent.id])
        #expect(try await service.list(TodoListRequest(query: "nothing"), owner: alice).todos.isEmpty)
    }

    @Test func listOrderIsOpenFirstThenDueDateThenCreation() async throws {
        let (service, clock) = makeService()
        func add(_ title: String, due: String? = nil) async throws -> Todo {
            clock.advance(seconds: 1)
            return try await service.create(NewTodo(title: title, dueDate: due), owner: alice)
        }
        let undatedOld = try await add("undated old")
        let dueLater = try await add("due later", due: "2026-06-01")
        let doneEarly = try await add("done, due early", due: "2026-01-01")
        let dueSoon = try await add("due soon", due: "2026-02-01")
        let undatedNew = try await add("undated new")
        let doneUndated = try await add("done, undated")
        _ = try await service.complete(doneEarly.id.rawValue, owner: alice)
        _ = try await service.complete(doneUndated.id.rawValue, owner: alice)

        let titles = try await service.list(TodoListRequest(status: .all), owner: alice).todos.map(\.title)
        #expect(titles == [dueSoon, dueLater, undatedOld, undatedNew, doneEarly, doneUndated].map(\.title))
    }

    @Test func pagingVisitsEveryTodoOnceInOrder() async throws {
        let (service, clock) = makeService()
        var created: [Todo] = []
        for index in 0..<23 {
            // Same creation time for several todos: the id must break the tie.
            if index % 3 == 0 { clock.advance(seconds: 1) }
            let due = index % 4 == 0 ? nil : "2026-0\(1 + index % 5)-1\(index % 9)"
            created.append(try await service.create(NewTodo(title: "todo \(index)", dueDate: due), owner: alice))
        }
        let all = try await service.list(TodoListRequest(status: .all, limit: 200), owner: alice)
        #expect(all.nextCursor == nil)
        #expect(all.todos == created.sorted { TodoSortKey($0) < TodoSortKey($1) })

        var seen: [Todo] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await service.list(TodoListRequest(status: .all, limit: 5, cursor: cursor), owner: alice)
            #expect(page.todos.count == (page.nextCursor == nil ? 3 : 5))
            seen += page.todos
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 5)
        #expect(seen == all.todos)
    }

    @Test func aFullLastPageHasNoNextCursor() async throws {
        let (service, _) = makeService()
        for index in 0..<4 { _ = try await service.create(NewTodo(title: "todo \(index)"), owner: alice) }
        let first = try await service.list(TodoListRequest(limit: 2), owner: alice)
        let cursor: String = try #require(first.nextCursor)
        #expect(
            cursor.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") },
            "base64url without padding"
        )
        let second = try await service.list(TodoListRequest(limit: 2, cursor: cursor), owner: alice)
        #expect(second.todos.count == 2)
        #expect(second.nextCursor == nil)
    }

    @Test func pagingPastTheEndIsAnEmptyPage() async throws {
        let (service, _) = makeService()
        for index in 0..<3 { _ = try await service.create(NewTodo(title: "todo \(index)"), owner: alice) }
        let first = try await service.list(TodoListRequest(limit: 2), owner: alice)
        let cursor = try #require(first.nextCursor)
        // The remaining todo is deleted between pages: the cursor still works and the page is empty.
        let last = try await service.list(TodoListRequest(limit: 2, cursor: cursor), owner: alice)
        try await service.delete(try #require(last.todos.first).id.rawValue, owner: alice)
        let empty = try await service.list(TodoListRequest(limit: 2, cursor: cursor), owner: alice)
        #expect(empty.todos.isEmpty)
        #expect(empty.nextCursor == nil)
    }

    @Test func aCursorNeverCrossesOwners() async throws {
        let (service, _) = makeService()
        for index in 0..<3 { _ = try await service.create(NewTodo(title: "alice \(index)"), owner: alice) }
        let bobs = try await service.create(NewTodo(title: "bob's"), owner: bob)
        let cursor = try #require(try await service.list(TodoListRequest(limit: 1), owner: alice).nextCursor)
        // Bob may replay Alice's cursor; he still only sees his own todos.
        #expect(try await service.list(TodoListRequest(limit: 1, cursor: cursor), owner: bob).todos.allSatisfy { $0.id == bobs.id })
    }

    @Test func tamperedCursorsAreRefused() async throws {
        let (service, _) = makeService()
        for index in 0..<3 { _ = try await service.create(NewTodo(title: "todo \(index)"), owner: alice) }
        let cursor = try #require(try await service.list(TodoListRequest(limit: 1), owner: alice).nextCursor)

        var tampered = [
            "", "garbage", "!!!!", String(cursor.dropLast(3)), cursor + "AA", String(repeating: "A", count: 2_000),
        ]
        // Every single-character edit of the cursor is caught.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for (offset, character) in cursor.enumerated() {
            var edited = Array(cursor)
            edited[offset] = alphabet[(alphabet.firstIndex(of: character)! + 1) % alphabet.count]
            tampered.append(String(edited))
        }
        for bad in tampered {
            await #expect(throws: TodoError.invalidCursor, "\(bad)") {
                try await service.list(TodoListRequest(limit: 1, cursor: bad), owner: alice)
            }
        }
    }

    @Test func aCursorIsBoundToItsFilter() async throws {
        let (service, _) = makeService()
        for index in 0..<3 { _ = try await service.create(NewTodo(title: "todo \(index)"), owner: alice) }
        let cursor = try #require(try await service.list(TodoListRequest(status: .open, limit: 1), owner: alice).nextCursor)
        await #expect(throws: TodoError.invalidCursor) {
            try await service.list(TodoListRequest(status: .all, limit: 1, cursor: cursor), owner: alice)
        }
        await #expect(throws: TodoError.invalidCursor) {
            try await service.list(TodoListRequest(status: .open, query: "todo", limit: 1, cursor: cursor), owner: alice)
        }
        // Another limit is fine: the cursor marks a place, not a page size.
        #expect(try await service.list(TodoListRequest(status: .open, limit: 5, cursor: cursor), owner: alice).todos.count == 2)
    }

    @Test func errorMessagesTellWhatToDo() {
        #expect(TodoError.notFound(id: "t_x").description.contains("list_todos"))
        #expect(TodoError.invalidCursor.description.contains("nextCursor"))
    }

    // MARK: Bounds

    @Test("Text is limited in bytes too: one character with thousands of combining marks is refused")
    func byteLimits() async throws {
        let (service, _) = makeService()
        let fused = "a" + String(repeating: "\u{301}", count: 5_000)
        #expect(fused.count == 1)
        await #expect(throws: TodoError.self) { try await service.create(NewTodo(title: fused), owner: alice) }
        let notes = String(repeating: "e\u{301}", count: 4_000)  // 4,000 characters, 12,000 bytes: fine
        #expect(try await service.create(NewTodo(title: "ok", notes: notes), owner: alice).notes == notes)
        let heavyNotes = String(repeating: "e" + String(repeating: "\u{301}", count: 10), count: 2_000)  // 2,000 characters, 42,000 bytes
        let error = await #expect(throws: TodoError.self) { try await service.create(NewTodo(title: "ok", notes: heavyNotes), owner: alice) }
        #expect(error?.field == "notes")
        #expect(error?.description.contains("bytes") == true)
        await #expect(throws: TodoError.self) {
            try await service.list(TodoListRequest(query: "q" + String(repeating: "\u{301}", count: 2_000)), owner: alice)
        }
        let todo = try await service.create(NewTodo(title: "short"), owner: alice)
        await #expect(throws: TodoError.self) { try await service.update(todo.id.rawValue, changes: TodoChanges(title: fused), owner: alice) }
    }

    @Test("An owner keeps at most the configured number of todos; others are not affected")
    func todosPerOwner() async throws {
        let service = TodoService(repository: InMemoryTodoRepository(), maxTodosPerOwner: 3)
        var created: [Todo] = []
        for index in 0..<3 { created.append(try await service.create(NewTodo(title: "todo \(index)"), owner: alice)) }
        let error = await #expect(throws: TodoError.self) { try await service.create(NewTodo(title: "one too many"), owner: alice) }
        #expect(error == .limitReached(maxTodos: 3))
        #expect(error?.description.contains("3 todos") == true)
        #expect(try await service.create(NewTodo(title: "bob's"), owner: bob).title == "bob's")
        try await service.delete(created[0].id.rawValue, owner: alice)
        #expect(try await service.create(NewTodo(title: "room again"), owner: alice).title == "room again")
    }
}
