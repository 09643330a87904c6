import Foundation
import GRDB
import PostgresNIO
import Testing
import TodoDomain

@testable import Storage

/// The todo repositories of SQLite and PostgreSQL, held to the same expectations.
@Suite("Todo repositories")
struct TodoRepositoryTests {
    /// A fresh database with two people, Ada and Bob.
    struct Fixture {
        let stores: TestStores
        let todos: any TodoRepository
        let ada: UserID
        let bob: UserID
    }

    static func withFixture(_ kind: StoreKind, _ body: (Fixture) async throws -> Void) async throws {
        try await withStores(kind) { stores in
            let fixture = Fixture(
                stores: stores,
                todos: stores.todos,
                ada: try await stores.user("ada@example.com"),
                bob: try await stores.user("bob@example.com")
            )
            try await body(fixture)
        }
    }

    @Test(arguments: StoreKind.available)
    func roundTripsEveryField(kind: StoreKind) async throws {
        try await Self.withFixture(kind) { fixture in
            var todo = makeTodo(owner: fixture.ada, title: "Ünïcode 👍🏽", notes: "line\nbreak", due: "2026-02-28")
            todo.priority = .high
            try await fixture.todos.insert(todo)
            #expect(try await fixture.todos.todo(id: todo.id, owner: fixture.ada) == todo)

            todo.title = "Changed"
            todo.notes = nil
            todo.dueDate = nil
            todo.priority = .low
            todo.completedAt = Date(millisecondsSince1970: 1_800_000_123_456)
            todo.updatedAt = Date(millisecondsSince1970: 1_800_000_123_456)
            #expect(try await fixture.todos.update(todo))
            #expect(try await fixture.todos.todo(id: todo.id, owner: fixture.ada) == todo)
        }
    }

    @Test(arguments: StoreKind.available)
    func ownershipIsolation(kind: StoreKind) async throws {
        try await Self.withFixture(kind) { fixture in
            let adas = makeTodo(owner: fixture.ada, title: "Ada's")
            try await fixture.todos.insert(adas)

            #expect(try await fixture.todos.todo(id: adas.id, owner: fixture.bob) == nil)
            var stolen = adas
            stolen.owner = fixture.bob
            stolen.title = "Bob was here"
            #expect(try await fixture.todos.update(stolen) == false)
            #expect(try await fixture.todos.delete(id: adas.id, owner: fixture.bob) == false)
            #expect(try await fixture.todos.list(owner: fixture.bob, filter: TodoFilter(status: .all), after: nil, limit: 10).isEmpty)
            #expect(try await fixture.todos.todo(id: adas.id, owner: fixture.ada) == adas)
        }
    }

    @Test(arguments: StoreKind.available)
    func likeWildcardsAreLiteral(kind: StoreKind) async throws {
        try await Self.withFixture(kind) { fixture in
            try await fixture.todos.insert(makeTodo(owner: fixture.ada, title: "100% done"))
            try await fixture.todos.insert(makeTodo(owner: fixture.ada, title: "snake_case"))
            try await fixture.todos.insert(makeTodo(owner: fixture.ada, title: "back\\slash"))
            try await fixture.todos.insert(makeTodo(owner: fixture.ada, title: "plain"))
            for (query, expected) in [("%", "100% done"), ("_", "snake_case"), ("\\", "back\\slash"), ("E_C", "snake_case")] {
                let found = try await fixture.todos.list(owner: fixture.ada, filter: TodoFilter(status: .all, query: query), after: nil, limit: 10)
                #expect(found.map(\.title) == [expected], "query \(query)")
            }
        }
    }

    /// The SQL listing must agree with the domain's definition of filter and order (which the
    /// in-memory repository implements directly) for every filter and every page.
    @Test(arguments: StoreKind.available)
    func listingAgreesWithTheDomainOrder(kind: StoreKind) async throws {
        try await Self.withFixture(kind) { fixture in
            let reference = InMemoryTodoRepository()
            let words = ["milk", "Milk", "bread", "call", "plan"]
            for index in 0..<120 {
                let owner = index % 7 == 0 ? fixture.bob : fixture.ada
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
                try await fixture.todos.insert(todo)
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
                    let expected = await reference.list(owner: fixture.ada, filter: filter, after: nil, limit: 1_000)
                    #expect(try await fixture.todos.list(owner: fixture.ada, filter: filter, after: nil, limit: 1_000) == expected)
                    // Every page boundary gives the same continuation.
                    for (offset, todo) in expected.enumerated() where offset % 9 == 0 {
                        let after = TodoSortKey(todo)
                        let page = try await fixture.todos.list(owner: fixture.ada, filter: filter, after: after, limit: 9)
                        #expect(page == Array(expected.dropFirst(offset + 1).prefix(9)), "\(status) \(query ?? "-") after \(offset)")
                    }
                }
            }
        }
    }

    @Test(
        "Tags round-trip in order and match only whole tags; completing many completes only the owner's open ones; time zones",
        arguments: StoreKind.available
    )
    func tagsSettingsAndBulkUpdates(kind: StoreKind) async throws {
        try await Self.withFixture(kind) { fixture in
            var first = makeTodo(owner: fixture.ada, title: "Tagged")
            first.tags = ["deep work", "café", "x"]
            var second = makeTodo(owner: fixture.ada, title: "Other")
            second.tags = ["work"]
            let bobs = makeTodo(owner: fixture.bob, title: "Bob's")
            for todo in [first, second, bobs] { try await fixture.todos.insert(todo) }
            #expect(try await fixture.todos.todo(id: first.id, owner: fixture.ada)?.tags == ["deep work", "café", "x"])
            #expect(
                try await fixture.todos.list(owner: fixture.ada, filter: TodoFilter(tag: "work"), after: nil, limit: 10).map(\.title) == ["Other"]
            )
            #expect(
                try await fixture.todos.list(owner: fixture.ada, filter: TodoFilter(tag: "deep work"), after: nil, limit: 10).map(\.title) == [
                    "Tagged"
                ]
            )
            #expect(try await fixture.todos.list(owner: fixture.ada, filter: TodoFilter(tag: "deep"), after: nil, limit: 10).isEmpty)

            let at = Date(millisecondsSince1970: 1_900_000_000_000)
            let completed = try await fixture.todos.complete(ids: [first.id, bobs.id, second.id], owner: fixture.ada, at: at)
            #expect(completed.map(\.id) == [first.id, second.id], "another person's todo is not completed")
            #expect(completed.allSatisfy { $0.completedAt == at && $0.updatedAt == at })
            #expect(completed[0].tags == first.tags && completed[0].title == first.title, "nothing else changes")
            #expect(try await fixture.todos.todo(id: bobs.id, owner: fixture.bob)?.isCompleted == false)
            let again = try await fixture.todos.complete(ids: [first.id], owner: fixture.ada, at: Date(millisecondsSince1970: 1_900_000_001_000))
            #expect(again.isEmpty, "a completed todo keeps its first completion")
            #expect(try await fixture.todos.todo(id: first.id, owner: fixture.ada)?.completedAt == at)

            #expect(try await fixture.todos.timeZone(owner: fixture.ada) == nil)
            try await fixture.todos.setTimeZone("Europe/Berlin", owner: fixture.ada)
            try await fixture.todos.setTimeZone("Asia/Tokyo", owner: fixture.ada)
            #expect(try await fixture.todos.timeZone(owner: fixture.ada) == "Asia/Tokyo")
            #expect(try await fixture.todos.timeZone(owner: fixture.bob) == nil)
            try await fixture.todos.setTimeZone(nil, owner: fixture.ada)
            #expect(try await fixture.todos.timeZone(owner: fixture.ada) == nil)
        }
    }

    @Test("SQLite reads a page of the listing index in order, without sorting", arguments: TodoStatusFilter.allCases, [nil, "milk"] as [String?])
    func listingReadsTheIndexInOrder(_ status: TodoStatusFilter, query: String?) async throws {
        let database = try AppDatabase.inMemory()
        let after = TodoSortKey(isCompleted: false, dueDate: nil, createdAt: 0, id: TodoID.random())
        let (sql, arguments) = SQLiteTodoRepository.listingStatement(
            owner: UserID("u_ada"),
            filter: TodoFilter(status: status, query: query),
            after: after,
            limit: 50
        )
        let plan = try await database.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }.joined(separator: "; ")
        }
        #expect(plan.contains("todos_listing"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "no sort step: \(plan)")
    }

    @Test("PostgreSQL reads a page of the listing index in order, without sorting", arguments: TodoStatusFilter.allCases)
    func postgresListingReadsTheIndexInOrder(_ status: TodoStatusFilter) async throws {
        guard StoreKind.available.contains(.postgres) else { return }
        try await PostgresTestDatabases.withDatabase { database in
            let after = TodoSortKey(isCompleted: false, dueDate: nil, createdAt: 0, id: TodoID.random())
            let query = PostgresTodoRepository.listingQuery(owner: UserID("u_ada"), filter: TodoFilter(status: status), after: after, limit: 50)
            // With an empty table any plan is cheap: forbid the sequential scan, then look at what is left.
            let plan = try await database.transaction { transaction in
                try await transaction.rows("SET LOCAL enable_seqscan = off")
                return try await transaction.rows(PostgresQuery(unsafeSQL: "EXPLAIN " + query.sql, binds: query.binds))
                    .map { try $0.decode(String.self) }.joined(separator: "; ")
            }
            #expect(plan.contains("todos_listing"), "\(plan)")
            #expect(!plan.contains("Sort"), "no sort step: \(plan)")
        }
    }

    @Test("Parallel creates never pass the limit per owner", arguments: StoreKind.available)
    func parallelCreatesRespectTheLimit(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let owner = try await stores.user("limit@example.com")
            let service = TodoService(repository: stores.todos, maxTodosPerOwner: 5)
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask { (try? await service.create(NewTodo(title: "todo \(index)"), owner: owner)) != nil }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 5)
            #expect(try await stores.rowCount("todos") == 5)
            #expect(try await stores.todoCounts() == [owner.rawValue: 5])
        }
    }

    @Test(
        "The per-owner limit reads a count that creates and deletes keep exact, per owner; a count that reaches zero goes",
        arguments: StoreKind.available
    )
    func countsFollowEveryWrite(kind: StoreKind) async throws {
        try await Self.withFixture(kind) { fixture throws in
            let first = makeTodo(owner: fixture.ada, title: "one")
            #expect((try await fixture.todos.insert(first, maxPerOwner: 2)))
            #expect((try await fixture.todos.insert(makeTodo(owner: fixture.ada, title: "two"), maxPerOwner: 2)))
            #expect(!(try await fixture.todos.insert(makeTodo(owner: fixture.ada, title: "three"), maxPerOwner: 2)), "the limit holds")
            #expect(
                (try await fixture.todos.insert(makeTodo(owner: fixture.bob, title: "bob's"), maxPerOwner: 2)),
                "another owner's todos do not count"
            )
            #expect(try await fixture.stores.todoCounts() == [fixture.ada.rawValue: 2, fixture.bob.rawValue: 1])

            #expect(try await fixture.todos.delete(id: first.id, owner: fixture.bob) == false, "not bob's to delete")
            #expect(try await fixture.todos.delete(id: first.id, owner: fixture.ada))
            #expect((try await fixture.todos.insert(makeTodo(owner: fixture.ada, title: "three"), maxPerOwner: 2)), "a delete frees a place")
            #expect(try await fixture.todos.deleteAll(owner: fixture.ada) == 2)
            #expect(try await fixture.stores.todoCounts() == [fixture.bob.rawValue: 1], "nothing of an owner without todos stays")
        }
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
