public import Foundation
import GRDB
public import MailDelivery
import TodoDomain

/// The mail outbox in SQLite: e-mails survive a restart, and a claim is one conditional update,
/// so two workers never take the same entry at once.
public struct SQLiteMailOutbox: MailOutbox {
    private let database: AppDatabase

    /// The outbox in `database`.
    public init(_ database: AppDatabase) { self.database = database }

    public func enqueue(_ entry: OutboxEntry) async throws {
        let message = String(decoding: try JSONEncoder().encode(entry.message), as: UTF8.self)
        try await self.database.write { db in
            try db.execute(
                sql: "INSERT INTO mail_outbox (id, message, attempts, next_attempt_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [entry.id, message, entry.attempts, entry.nextAttemptAt.millisecondsSince1970, entry.expiresAt.millisecondsSince1970]
            )
        }
    }

    public func claim(dueAt date: Date, leaseUntil: Date, limit: Int) async throws -> [OutboxEntry] {
        try await self.database.writer.write { db in
            try Row.fetchAll(
                db,
                sql: """
                    UPDATE mail_outbox SET next_attempt_at = ?
                    WHERE id IN (SELECT id FROM mail_outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
                    RETURNING id, message, attempts, expires_at
                    """,
                arguments: [leaseUntil.millisecondsSince1970, date.millisecondsSince1970, limit]
            ).map { row in
                let message: String = row[1]
                return OutboxEntry(
                    id: row[0],
                    message: try JSONDecoder().decode(EmailMessage.self, from: Data(message.utf8)),
                    attempts: row[2],
                    nextAttemptAt: leaseUntil,
                    expiresAt: Date(millisecondsSince1970: row[3])
                )
            }
        }
    }

    public func retry(id: String, at date: Date) async throws {
        try await self.database.writer.write { db in
            try db.execute(
                sql: "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                arguments: [date.millisecondsSince1970, id]
            )
        }
    }

    public func remove(id: String) async throws {
        try await self.database.writer.write { db in try db.execute(sql: "DELETE FROM mail_outbox WHERE id = ?", arguments: [id]) }
    }

    public func removeAll(to address: String) async throws {
        try await self.database.writer.write { db in
            try db.execute(sql: "DELETE FROM mail_outbox WHERE json_extract(message, '$.to') = ?", arguments: [address])
        }
    }

    public func nextDue() async throws -> Date? {
        try await self.database.read { db in
            try Int64.fetchOne(db, sql: "SELECT min(next_attempt_at) FROM mail_outbox").map(Date.init(millisecondsSince1970:))
        }
    }
}
