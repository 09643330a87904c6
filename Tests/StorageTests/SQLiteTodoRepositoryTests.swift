import Foundation
import GRDB
import Testing
import TodoDomain

@testable import Storage

@Suite("SQLite todo repository")
struct SQLiteTodoRepositoryTests {
    let database: AppDatabase
    let todos: SQLiteTodoRepository
    let ada: UserID
    let bob: UserID

    init() async throws {
        self.database = try AppDatabase.inMemory()
        self.todos = SQLiteTodoRepository(self.database)
        let users = SQLiteUserRepository(self.database)
        self.ada = try await users.findOrCreateUser(email: "ada@example.com")
        self.bob = try await users.findOrCreateUser(email: "bob@example.com")
    }

    @Test func roundTripsEveryField() async throws {
        var todo = makeTodo(owner: self.ada, title: "Ünïcode 👍🏽", notes: "line\nbreak", due: "2026-02-28")
        todo.priority = .high
        try await self.todos.insert(todo)
        #expect(try await self.todos.todo(id: todo.id, owner: self.ada) == todo)

        todo.title = "Changed"
        todo.notes = nil
        todo.dueDate = nil
        todo.priority = .low
        todo.completedAt = Date(millisecondsSince1970: 1_800_000_123_456)
        todo.updatedAt = Date(millisecondsSince1970: 1_800_000_123_456)
        #expect(try await self.todos.update(todo))
        #expect(try await self.todos.todo(id: todo.id, owner: self.ada) == todo)
    }

    @Test func ownershipIsolation() async throws {
        let adas = makeTodo(owner: self.ada, title: "Ada's")
        try await self.todos.insert(adas)

        #expect(try await self.todos.todo(id: adas.id, owner: self.bob) == nil)
        var stolen = adas
        stolen.owner = self.bob
        stolen.title = "Bob was here"
        #expect(try await self.todos.update(stolen) == false)
        #expect(try await self.todos.delete(id: adas.id, owner: self.bob) == false)
        #expect(try await self.todos.list(owner: self.bob, filter: TodoFilter(status: .all), after: nil, limit: 10).isEmpty)
        #expect(try await self.todos.todo(id: adas.id, owner: self.ada) == adas)
    }

    @Test func likeWildcardsAreLiteral() async throws {
        try await self.todos.insert(makeTodo(owner: self.ada, title: "100% done"))
        try await self.todos.insert(makeTodo(owner: self.ada, title: "snake_case"))
        try await self.todos.insert(makeTodo(owner: self.ada, title: "back\\slash"))
        try await self.todos.insert(makeTodo(owner: self.ada, title: "plain"))
        for (query, expected) in [("%", "100% done"), ("_", "snake_case"), ("\\", "back\\slash"), ("E_C", "snake_case")] {
            let found = try await self.todos.list(owner: self.ada, filter: TodoFilter(status: .all, query: query), after: nil, limit: 10)
            #expect(found.map(\.title) == [expected], "query \(query)")
        }
    }

    /// The SQL listing must agree with the domain's definition of filter and order (which the
    /// in-memory repository implements directly) for every filter and every page.
    @Test func listingAgreesWithTheDomainOrder() async throws {
        let reference = InMemoryTodoRepository()
        let words = ["milk", "Milk", "bread", "call", "plan"]
        for index in 0..<120 {
            let owner = index % 7 == 0 ? self.bob : self.ada
            let created = 1_800_000_000_000 + Int64(index / 4) * 1_000  // ties on creation time
            var todo = makeTodo(
                owner: owner,
                title: "\(words[index % words.count]) \(index)",
                notes: index % 3 == 0 ? "notes with \(words[(index + 2) % words.count])" : nil,
                due: index % 5 == 0 ? nil : "2026-0\(1 + Int.random(in: 0..<3))-1\(index % 3)",
                completedAt: index % 4 == 0 ? Date(millisecondsSince1970: created + 5) : nil,
                createdAt: Date(millisecondsSince1970: created)
            )
            todo.priority = TodoPriority.allCases[index % 3]
            todo.tags = [["work"], ["homework", "x"], [], ["x", "work"], ["wor"]][index % 5]
            try await self.todos.insert(todo)
            try await reference.insert(todo)
        }
        let extras: [TodoFilter] = [
            TodoFilter(priority: .high), TodoFilter(tag: "work"), TodoFilter(tag: "x"), TodoFilter(tag: "wo"),
            TodoFilter(dueOnOrAfter: CalendarDate("2026-02-11")), TodoFilter(dueBefore: CalendarDate("2026-02-11")),
            TodoFilter(priority: .low, tag: "work", dueOnOrAfter: CalendarDate("2026-01-11"), dueBefore: CalendarDate("2026-03-11")),
        ]
        let filters = TodoStatusFilter.allCases.flatMap { status in
            ([nil, "milk", "notes", "zzz"] as [String?]).map { TodoFilter(status: status, query: $0) }
                + extras.map { extra in
                    var filter = extra
                    filter.status = status
                    return filter
                }
        }
        for filter in filters {
            do {
                let (status, query) = (filter.status, filter.query)
                let expected = await reference.list(owner: self.ada, filter: filter, after: nil, limit: 1_000)
                #expect(try await self.todos.list(owner: self.ada, filter: filter, after: nil, limit: 1_000) == expected)
                // Every page boundary gives the same continuation.
                for (offset, todo) in expected.enumerated() where offset % 9 == 0 {
                    let after = TodoSortKey(todo)
                    let page = try await self.todos.list(owner: self.ada, filter: filter, after: after, limit: 9)
                    #expect(page == Array(expected.dropFirst(offset + 1).prefix(9)), "\(status) \(query ?? "-") after \(offset)")
                }
            }
        }
    }

    @Test("Tags round-trip in order and match only whole tags; completing many completes only the owner's open ones; time zones")
    func tagsSettingsAndBulkUpdates() async throws {
        var first = makeTodo(owner: self.ada, title: "Tagged")
        first.tags = ["deep work", "café", "x"]
        var second = makeTodo(owner: self.ada, title: "Other")
        second.tags = ["work"]
        let bobs = makeTodo(owner: self.bob, title: "Bob's")
        for todo in [first, second, bobs] { try await self.todos.insert(todo) }
        #expect(try await self.todos.todo(id: first.id, owner: self.ada)?.tags == ["deep work", "café", "x"])
        #expect(try await self.todos.list(owner: self.ada, filter: TodoFilter(tag: "work"), after: nil, limit: 10).map(\.title) == ["Other"])
        #expect(try await self.todos.list(owner: self.ada, filter: TodoFilter(tag: "deep work"), after: nil, limit: 10).map(\.title) == ["Tagged"])
        #expect(try await self.todos.list(owner: self.ada, filter: TodoFilter(tag: "deep"), after: nil, limit: 10).isEmpty)

        let at = Date(millisecondsSince1970: 1_900_000_000_000)
        let completed = try await self.todos.complete(ids: [first.id, bobs.id, second.id], owner: self.ada, at: at)
        #expect(completed.map(\.id) == [first.id, second.id], "another person's todo is not completed")
        #expect(completed.allSatisfy { $0.completedAt == at && $0.updatedAt == at })
        #expect(completed[0].tags == first.tags && completed[0].title == first.title, "nothing else changes")
        #expect(try await self.todos.todo(id: bobs.id, owner: self.bob)?.isCompleted == false)
        let again = try await self.todos.complete(ids: [first.id], owner: self.ada, at: Date(millisecondsSince1970: 1_900_000_001_000))
        #expect(again.isEmpty, "a completed todo keeps its first completion")
        #expect(try await self.todos.todo(id: first.id, owner: self.ada)?.completedAt == at)

        #expect(try await self.todos.timeZone(owner: self.ada) == nil)
        try await self.todos.setTimeZone("Europe/Berlin", owner: self.ada)
        try await self.todos.setTimeZone("Asia/Tokyo", owner: self.ada)
        #expect(try await self.todos.timeZone(owner: self.ada) == "Asia/Tokyo")
        #expect(try await self.todos.timeZone(owner: self.bob) == nil)
        try await self.todos.setTimeZone(nil, owner: self.ada)
        #expect(try await self.todos.timeZone(owner: self.ada) == nil)
    }

    @Test(arguments: TodoStatusFilter.allCases, [nil, "milk"] as [String?])
    func listingReadsTheIndexInOrder(_ status: TodoStatusFilter, query: String?) async throws {
        let after = TodoSortKey(isCompleted: false, dueDate: nil, createdAt: 0, id: TodoID.random())
        let (sql, arguments) = SQLiteTodoRepository.listingStatement(
            owner: self.ada,
            filter: TodoFilter(status: status, query: query),
            after: after,
            limit: 50
        )
        let plan = try await self.database.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }.joined(separator: "; ")
        }
        #expect(plan.contains("todos_listing"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "no sort step: \(plan)")
    }

    @Test("Parallel creates never pass the limit per owner")
    func parallelCreatesRespectTheLimit() async throws {
        let database = try AppDatabase.inMemory()
        let owner = try await SQLiteUserRepository(database).findOrCreateUser(email: "limit@example.com")
        let service = TodoService(repository: SQLiteTodoRepository(database), maxTodosPerOwner: 5)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask { (try? await service.create(NewTodo(title: "todo \(index)"), owner: owner)) != nil }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 5)
        let stored = try await database.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM todos") }
        #expect(stored == 5)
    }

    @Test("The per-owner limit reads a count that creates and deletes keep exact, per owner; a count that reaches zero goes")
    func countsFollowEveryWrite() async throws {
        func counts() async throws -> [String: Int] {
            try await self.database.writer.read { db in
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT owner_id, count FROM todo_counts").map { ($0[0], $0[1]) })
            }
        }
        let first = makeTodo(owner: self.ada, title: "one")
        #expect(try await self.todos.insert(first, maxPerOwner: 2))
        #expect(try await self.todos.insert(makeTodo(owner: self.ada, title: "two"), maxPerOwner: 2))
        #expect(try await !self.todos.insert(makeTodo(owner: self.ada, title: "three"), maxPerOwner: 2), "the limit holds")
        #expect(try await self.todos.insert(makeTodo(owner: self.bob, title: "bob's"), maxPerOwner: 2), "another owner's todos do not count")
        #expect(try await counts() == [self.ada.rawValue: 2, self.bob.rawValue: 1])

        #expect(try await self.todos.delete(id: first.id, owner: self.bob) == false, "not bob's to delete")
        #expect(try await self.todos.delete(id: first.id, owner: self.ada))
        #expect(try await self.todos.insert(makeTodo(owner: self.ada, title: "three"), maxPerOwner: 2), "a delete frees a place")
        #expect(try await self.todos.deleteAll(owner: self.ada) == 2)
        #expect(try await counts() == [self.bob.rawValue: 1], "nothing of an owner without todos stays")
    }

    @Test("Migrating counts the todos already stored")
    func migrationCountsExistingTodos() async throws {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue, upTo: "016_accounts")
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO users (id, created_at) VALUES ('u_a', 0), ('u_b', 0)")
            for (index, owner) in ["u_a", "u_a", "u_a", "u_b"].enumerated() {
                try db.execute(
                    sql: "INSERT INTO todos (id, owner_id, title, priority, created_at, updated_at) VALUES (?, ?, 't', 'normal', 0, 0)",
                    arguments: ["t_\(index)", owner]
                )
            }
        }
        try Migrations.migrator.migrate(queue)
        let counts = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT owner_id, count FROM todo_counts ORDER BY owner_id").map { "\($0[0] as String)=\($0[1] as Int)" }
        }
        #expect(counts == ["u_a=3", "u_b=1"])
    }
}
