import Foundation
import GRDB
import Testing
import TodoDomain

@testable import Storage

/// Writes that arrive while a commit is under way share the next transaction.
@Suite("Group commit", .timeLimit(.minutes(1)))
struct GroupCommitTests {
    struct Refused: Error {}

    let database: AppDatabase
    let owner: UserID

    init() async throws {
        self.database = try AppDatabase.inMemory()
        self.owner = try await SQLiteUserRepository(self.database).findOrCreateUser(email: "ada@example.com")
    }

    @Test("Writes queued behind a busy writer commit together, and each caller gets its own result")
    func writesShareTransactions() async throws {
        let results = try await self.whileWriterIsBusy(writes: 50) { index in
            try await self.database.write { db in
                try db.execute(sql: "INSERT INTO users (id, created_at) VALUES (?, 0)", arguments: ["u_\(index)"])
                return index
            }
        }
        #expect(results.map { try? $0.get() } == Array(0..<50))
        let (transactions, _, pending) = self.database.groupCommit.statistics
        #expect(transactions <= 3, "50 writes in \(transactions) transactions")
        #expect(pending == 0)
        #expect(try await self.count("users") == 51)
    }

    @Test("A write that fails rolls back only what it did")
    func failureIsIsolated() async throws {
        let results = try await self.whileWriterIsBusy(writes: 10) { index in
            try await self.database.write { db in
                try db.execute(sql: "INSERT INTO users (id, created_at) VALUES (?, 0)", arguments: ["u_\(index)"])
                if index == 4 { throw Refused() }
                return index
            }
        }
        #expect(results.compactMap { try? $0.get() } == [0, 1, 2, 3, 5, 6, 7, 8, 9])
        #expect(throws: Refused.self) { try results[4].get() }
        #expect(try await self.count("users") == 10, "nine written, and the owner")
    }

    @Test("When the commit fails, every write of its batch fails and nothing is stored")
    func failedCommitFailsTheBatch() async throws {
        let results = try await self.whileWriterIsBusy(writes: 5) { index in
            try await self.database.write { db in
                if index == 2 {
                    // A foreign key checked at commit: the whole transaction is refused.
                    try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                    try db.execute(
                        sql:
                            "INSERT INTO todos (id, owner_id, title, priority, created_at, updated_at) VALUES ('t_x', 'u_nobody', 'x', 'normal', 0, 0)"
                    )
                } else {
                    try db.execute(sql: "INSERT INTO users (id, created_at) VALUES (?, 0)", arguments: ["u_\(index)"])
                }
                return index
            }
        }
        let failures = results.filter { (try? $0.get()) == nil }.count
        #expect(failures >= 1)
        #expect(try await self.count("todos") == 0)
        // Whoever was told "done" is really stored.
        let stored = try await self.count("users") - 1
        #expect(stored == results.count - failures)
    }

    /// Runs `writes` writes at once while a long write holds the writer, then lets it go.
    private func whileWriterIsBusy<T: Sendable>(
        writes: Int,
        _ write: @escaping @Sendable (Int) async throws -> T
    ) async throws -> [Result<T, any Error>] {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let blocker = Task {
            try await self.database.writer.write { _ in
                entered.signal()
                release.wait()
            }
        }
        await Task.detached { entered.wait() }.value
        let tasks = (0..<writes).map { index in
            Task { () -> Result<T, any Error> in
                do { return .success(try await write(index)) } catch { return .failure(error) }
            }
        }
        // Wait until every write is queued (one batch may already wait for the writer).
        while true {
            let (_, committing, pending) = self.database.groupCommit.statistics
            if committing + pending == writes { break }
            try await Task.sleep(for: .milliseconds(1))
        }
        release.signal()
        try await blocker.value
        var results: [Result<T, any Error>] = []
        for task in tasks { results.append(await task.value) }
        return results
    }

    private func count(_ table: String) async throws -> Int {
        try await self.database.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }
}
