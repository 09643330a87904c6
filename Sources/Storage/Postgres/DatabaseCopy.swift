public import Foundation
import GRDB
import PostgresNIO

/// Copies everything an SQLite database holds into an empty PostgreSQL one, in one transaction:
/// people and their addresses, todos and settings, clients, consents, codes, refresh tokens,
/// signing keys, revocations, legacy sessions and mail waiting to be sent. After it, a server on
/// PostgreSQL serves the same people, with the same tokens, as the SQLite server did.
///
/// ```swift
/// let counts = try await DatabaseCopy.copy(from: AppDatabase.openExisting(path: path), to: postgres)
/// ```
public enum DatabaseCopy {
    /// The tables, parents first, with the columns both schemas share. `todo_counts` is not copied
    /// but counted anew in PostgreSQL, and the listing columns of `todos` are computed there.
    static let tables: [(name: String, columns: [String])] = [
        ("users", ["id", "created_at", "session_generation"]),
        ("user_emails", ["email", "user_id", "created_at"]),
        ("oauth_clients", ["id", "metadata_hash", "name", "redirect_uris", "created_at"]),
        ("todos", ["id", "owner_id", "title", "notes", "due_date", "priority", "completed_at", "created_at", "updated_at", "tags"]),
        ("todo_settings", ["owner_id", "time_zone"]),
        ("mcp_sessions", ["id", "user_id", "protocol_version", "created_at", "last_used_at"]),
        ("login_codes", ["id", "email", "flow_id", "code_hash", "expires_at", "attempts"]),
        (
            "authorization_codes",
            [
                "code_hash", "client_id", "user_id", "redirect_uri", "code_challenge", "resource", "scopes", "expires_at", "used_at",
                "family_id", "session_generation",
            ]
        ),
        ("consents", ["user_id", "client_id", "scopes", "granted_at", "first_granted_at"]),
        (
            "refresh_tokens",
            [
                "token_hash", "family_id", "client_id", "user_id", "resource", "scopes", "issued_at", "expires_at", "rotated_at", "revoked_at",
                "successor_hash", "parent_hash",
            ]
        ),
        ("signing_keys", ["id", "secret", "created_at"]),
        ("revoked_access_tokens", ["token_id", "expires_at"]),
        ("revoked_grants", ["grant_id", "expires_at"]),
        ("mail_outbox", ["id", "message", "attempts", "next_attempt_at", "expires_at"]),
    ]

    /// Copies `source` into `target`.
    /// - Returns: how many rows each table received.
    /// - Throws: ``DatabaseCopyError/targetNotEmpty(_:)`` when `target` already holds people,
    ///   clients or keys (nothing is written then), or the first database error (and the
    ///   transaction rolls back: the target stays empty).
    public static func copy(from source: AppDatabase, to target: PostgresAppDatabase) async throws -> [(table: String, rows: Int)] {
        try await target.transaction { transaction in
            // Nobody else may write while the copy runs, and a copy into a used database is refused.
            try await transaction.rows("LOCK TABLE users, oauth_clients, signing_keys IN EXCLUSIVE MODE")
            for table in ["users", "oauth_clients", "signing_keys"] {
                let rows = try await transaction.rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"))
                if try rows.first?.decode(Int64.self) ?? 0 > 0 { throw DatabaseCopyError.targetNotEmpty(table) }
            }
            var counts: [(table: String, rows: Int)] = []
            for table in Self.tables {
                let columns = table.columns.joined(separator: ", ")
                let rows = try await source.read { db in
                    try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table.name)").map { Array($0.databaseValues) }
                }
                let placeholders = (1...table.columns.count).map { "$\($0)" }.joined(separator: ", ")
                let insert = "INSERT INTO \(table.name) (\(columns)) VALUES (\(placeholders))"
                for values in rows {
                    var bindings = PostgresBindings(capacity: values.count)
                    for value in values { bindings.append(value) }
                    try await transaction.rows(PostgresQuery(unsafeSQL: insert, binds: bindings))
                }
                counts.append((table.name, rows.count))
            }
            try await transaction.rows("INSERT INTO todo_counts (owner_id, count) SELECT owner_id, count(*) FROM todos GROUP BY owner_id")
            return counts
        }
    }
}

/// Why a copy was refused.
public enum DatabaseCopyError: Error, CustomStringConvertible {
    /// The target already holds rows in this table.
    case targetNotEmpty(String)

    public var description: String {
        switch self {
        case .targetNotEmpty(let table):
            "the PostgreSQL database is not empty (its \(table) table has rows): copy into a new database, so that nothing is mixed or lost"
        }
    }
}

extension PostgresBindings {
    /// Appends an SQLite value as the PostgreSQL value of the same kind.
    fileprivate mutating func append(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self.appendNull()
        case .int64(let number): self.append(number)
        case .double(let number): self.append(number)
        case .string(let text): self.append(text)
        case .blob(let data): self.append(ByteBuffer(bytes: data))
        }
    }
}
