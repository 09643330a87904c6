public import Foundation
public import MailDelivery
import PostgresNIO
import TodoDomain

/// The mail outbox in PostgreSQL. A claim takes due entries that no other worker is claiming at
/// that moment (`FOR UPDATE SKIP LOCKED`) and leases them, so the workers of several instances
/// never send one e-mail twice.
public struct PostgresMailOutbox: MailOutbox {
    private let database: PostgresAppDatabase

    /// The outbox in `database`.
    public init(_ database: PostgresAppDatabase) { self.database = database }

    public func enqueue(_ entry: OutboxEntry) async throws {
        let message = String(decoding: try JSONEncoder().encode(entry.message), as: UTF8.self)
        try await self.database.rows(
            """
            INSERT INTO mail_outbox (id, message, attempts, next_attempt_at, expires_at)
            VALUES (\(entry.id), \(message), \(Int32(clamping: entry.attempts)), \(entry.nextAttemptAt.millisecondsSince1970),
                \(entry.expiresAt.millisecondsSince1970))
            """
        )
    }

    public func claim(dueAt date: Date, leaseUntil: Date, limit: Int) async throws -> [OutboxEntry] {
        try await self.database.rows(
            """
            UPDATE mail_outbox SET next_attempt_at = \(leaseUntil.millisecondsSince1970)
            WHERE id IN (
                SELECT id FROM mail_outbox WHERE next_attempt_at <= \(date.millisecondsSince1970)
                ORDER BY next_attempt_at LIMIT \(Int64(max(0, limit))) FOR UPDATE SKIP LOCKED
            )
            RETURNING id, message, attempts, expires_at
            """
        ).map { row in
            let (id, message, attempts, expires) = try row.decode((String, String, Int32, Int64).self)
            return OutboxEntry(
                id: id,
                message: try JSONDecoder().decode(EmailMessage.self, from: Data(message.utf8)),
                attempts: Int(attempts),
                nextAttemptAt: leaseUntil,
                expiresAt: Date(millisecondsSince1970: expires)
            )
        }
    }

    public func retry(id: String, at date: Date) async throws {
        try await self.database.rows(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = \(date.millisecondsSince1970) WHERE id = \(id)"
        )
    }

    public func remove(id: String) async throws {
        try await self.database.rows("DELETE FROM mail_outbox WHERE id = \(id)")
    }

    public func removeAll(to address: String) async throws {
        try await self.database.rows("DELETE FROM mail_outbox WHERE (message::jsonb ->> 'to') = \(address)")
    }

    public func nextDue() async throws -> Date? {
        try await self.database.rows("SELECT min(next_attempt_at) FROM mail_outbox").first
            .flatMap { try $0.decode(Int64?.self) }.map(Date.init(millisecondsSince1970:))
    }
}
