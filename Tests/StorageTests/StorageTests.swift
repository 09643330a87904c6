import Foundation
import GRDB
import Testing
import TodoDomain

@testable import Storage

@Suite("Database and migrations")
struct DatabaseTests {
    @Test func migratesAnEmptyFileDatabase() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nested/todo.sqlite").path

        let database = try AppDatabase.open(path: path)
        #expect(try database.appliedMigrations() == Migrations.all.map(\.name))
        let tables = try database.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'grdb%'")
        }
        #expect(
            Set(tables) == [
                "users", "user_emails", "todos", "mcp_sessions", "oauth_clients", "login_codes", "authorization_codes", "consents",
                "refresh_tokens", "signing_keys", "revoked_access_tokens", "revoked_grants", "mail_outbox", "todo_counts", "todo_settings",
            ]
        )
        let (journalMode, foreignKeys, busyTimeout) = try database.writer.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
                try Int.fetchOne(db, sql: "PRAGMA busy_timeout")
            )
        }
        #expect(journalMode == "wal")
        #expect(foreignKeys == 1)
        #expect((busyTimeout ?? 0) >= 5_000)
        // Opening again applies nothing twice.
        #expect(try AppDatabase.open(path: path).appliedMigrations() == Migrations.all.map(\.name))
    }

    @Test("Checkpoints run on a connection of their own: they finish while a write is under way")
    func checkpointsDoNotWaitForWriters() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("todo.sqlite").path
        let database = try AppDatabase.open(path: path)
        let (autoCheckpoint, synchronous) = try await database.writer.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(autoCheckpoint == AppDatabase.autoCheckpointPages)
        #expect(synchronous == 2, "FULL: every commit is synced to disk before it returns")

        let users = SQLiteUserRepository(database)
        for index in 0..<50 { _ = try await users.findOrCreateUser(email: "user\(index)@example.com") }
        let first = try #require(try await database.checkpoint())
        #expect(first.logFrames > 0)
        #expect(first.checkpointedFrames == first.logFrames, "with nobody reading, the whole log is copied")

        // A write is under way and waits (up to 5 s) for the checkpoint to finish: the checkpoint
        // must not queue behind it.
        let entered = DispatchSemaphore(value: 0)
        let checkpointed = DispatchSemaphore(value: 0)
        let write = Task {
            try await database.writer.write { db in
                try db.execute(sql: "INSERT INTO users (id, created_at) VALUES ('u_waiting', 0)")
                entered.signal()
                return checkpointed.wait(timeout: .now() + 5) == .success
            }
        }
        await Task.detached { entered.wait() }.value
        let during = try #require(try await database.checkpoint())
        checkpointed.signal()
        #expect(during.checkpointedFrames <= during.logFrames)
        #expect(try await write.value, "the checkpoint finished while the write was still open")
    }

    @Test func inMemoryDatabasesHaveNothingToCheckpoint() async throws {
        let result = try await AppDatabase.inMemory().checkpoint()
        #expect(result == nil)
    }

    @Test func everyMigrationFileIsEmbeddedInOrder() throws {
        let folder = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("db/migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == Migrations.all.map(\.name))
        for (file, migration) in zip(files, Migrations.all) {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(Array(text.utf8) == migration.sql, "\(file) is embedded as written")
        }
    }

    @Test func inMemoryDatabasesAreMigratedAndIndependent() async throws {
        let first = try AppDatabase.inMemory()
        let second = try AppDatabase.inMemory()
        #expect(try first.appliedMigrations() == Migrations.all.map(\.name))
        _ = try await SQLiteUserRepository(first).findOrCreateUser(email: "a@example.com")
        #expect(try await SQLiteUserRepository(second).user(email: "a@example.com") == nil)
        #expect(try await first.isHealthy())
    }

    @Test func resetEmptiesTheDatabase() async throws {
        let database = try AppDatabase.inMemory()
        let users = SQLiteUserRepository(database)
        let owner = try await users.findOrCreateUser(email: "a@example.com")
        try await SQLiteTodoRepository(database).insert(makeTodo(owner: owner))
        try database.reset()
        #expect(try await users.user(email: "a@example.com") == nil)
        #expect(try await database.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM todos") } == 0)
        #expect(try database.appliedMigrations() == Migrations.all.map(\.name))
    }

    @Test(
        "On a file, many long reads and short reads at once all finish: long reads never take every reader, and no reader is held while a task waits",
        .timeLimit(.minutes(1))
    )
    func mixedReadsNeverStall() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reads-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try AppDatabase.open(path: folder.appendingPathComponent("todo.sqlite").path)
        let owner = try await SQLiteUserRepository(database).findOrCreateUser(email: "reads@example.com")
        for index in 0..<50 { try await SQLiteTodoRepository(database).insert(makeTodo(owner: owner, title: "todo \(index)")) }
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<400 {
                group.addTask {
                    if index % 2 == 0 {
                        return try await database.read { db in
                            try (0..<20).reduce(0) { total, _ in total + (try Int.fetchOne(db, sql: "SELECT count(*) FROM todos") ?? 0) } / 20
                        }
                    }
                    return try await database.readStatement { try Int.fetchOne($0, sql: "SELECT count(*) FROM todos") ?? 0 }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts.count == 400 && counts.allSatisfy { $0 == 50 })
    }

    @Test func healthFailsWhenMigrationsAreMissing() async throws {
        let database = try AppDatabase.inMemory()
        try await database.writer.write { try $0.execute(sql: "DELETE FROM grdb_migrations") }
        #expect(try await database.isHealthy() == false)
    }
}

@Suite("Users")
struct UserRepositoryTests {
    @Test func oneUserPerEmailIgnoringCase() async throws {
        let users = SQLiteUserRepository(try AppDatabase.inMemory())
        let first = try await users.findOrCreateUser(email: "Ada@Example.com")
        #expect(try await users.findOrCreateUser(email: "ada@example.com") == first)
        #expect(try await users.user(email: "ADA@EXAMPLE.COM") == first)
        #expect(try await users.findOrCreateUser(email: "bob@example.com") != first)
    }

    @Test func deletingAUserDeletesTheirTodos() async throws {
        let database = try AppDatabase.inMemory()
        let users = SQLiteUserRepository(database)
        let todos = SQLiteTodoRepository(database)
        let ada = try await users.findOrCreateUser(email: "ada@example.com")
        let bob = try await users.findOrCreateUser(email: "bob@example.com")
        let adas = makeTodo(owner: ada)
        let bobs = makeTodo(owner: bob)
        try await todos.insert(adas)
        try await todos.insert(bobs)
        try await users.delete(ada)
        #expect(try await todos.todo(id: adas.id, owner: ada) == nil)
        #expect(try await todos.todo(id: bobs.id, owner: bob) == bobs)
    }

    @Test func aTodoNeedsAnExistingOwner() async throws {
        let todos = SQLiteTodoRepository(try AppDatabase.inMemory())
        await #expect(throws: DatabaseError.self) { try await todos.insert(makeTodo(owner: UserID("u_nobody"))) }
    }
}

func makeTodo(
    owner: UserID,
    title: String = "A todo",
    notes: String? = nil,
    due: String? = nil,
    completedAt: Date? = nil,
    createdAt: Date = Date(millisecondsSince1970: 1_800_000_000_000)
) -> Todo {
    return Todo(
        id: TodoID.random(),
        owner: owner,
        title: title,
        notes: notes,
        dueDate: due.flatMap(CalendarDate.init),
        priority: .normal,
        completedAt: completedAt,
        createdAt: createdAt,
        updatedAt: createdAt
    )
}
