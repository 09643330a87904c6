public import Foundation
import GRDB
public import TodoDomain

/// Users and their e-mail addresses in SQLite.
public struct SQLiteUserRepository: Sendable {
    private let database: AppDatabase
    private let clock: WallClock

    /// A repository in `database`; `now` dates the users it creates.
    public init(_ database: AppDatabase, now: @escaping @Sendable () -> Date = Date.init) {
        self.database = database
        self.clock = WallClock(now)
    }

    /// The user who logs in with `email` (compared without regard to ASCII case), creating them if
    /// there is none yet.
    public func findOrCreateUser(email: String) async throws -> UserID {
        let now = self.clock.now().millisecondsSince1970
        let candidate = "u_" + String(TodoID.random().rawValue.dropFirst(2))
        return try await self.database.writer.write { db in
            if let existing = try String.fetchOne(db, sql: "SELECT user_id FROM user_emails WHERE email = ?", arguments: [email]) {
                return UserID(existing)
            }
            try db.execute(sql: "INSERT INTO users (id, created_at) VALUES (?, ?)", arguments: [candidate, now])
            try db.execute(
                sql: "INSERT INTO user_emails (email, user_id, created_at) VALUES (?, ?, ?)",
                arguments: [email, candidate, now]
            )
            return UserID(candidate)
        }
    }

    /// The user who logs in with `email`, if any.
    public func user(email: String) async throws -> UserID? {
        try await self.database.read { db in
            try String.fetchOne(db, sql: "SELECT user_id FROM user_emails WHERE email = ?", arguments: [email]).map(UserID.init)
        }
    }

    /// Deletes a user and, with them, everything they own.
    public func delete(_ user: UserID) async throws {
        try await self.database.writer.write { db in
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [user.rawValue])
        }
    }
}
