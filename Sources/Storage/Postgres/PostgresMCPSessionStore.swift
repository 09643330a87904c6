public import Foundation
public import MCPCore
import PostgresNIO
import TodoDomain

/// Legacy MCP sessions in PostgreSQL, shared by every instance: a session started on one works on
/// all. Ending a session tells the other instances at once (see ``PostgresEvent/sessionEnded(_:)``),
/// so none serves it from its cache afterwards.
public struct PostgresMCPSessionStore: MCPSessionStore {
    private let database: PostgresAppDatabase

    /// A store in `database`.
    public init(_ database: PostgresAppDatabase) { self.database = database }

    public func insert(_ session: MCPSession, keepingAtMost limit: Int) async throws -> [String] {
        try await self.database.transaction { transaction in
            // One person's sessions are counted one insert at a time, whichever instance makes them.
            try await transaction.rows("SELECT 1 FROM users WHERE id = \(session.subject) FOR UPDATE")
            try await transaction.rows(
                """
                INSERT INTO mcp_sessions (id, user_id, protocol_version, created_at, last_used_at)
                VALUES (\(session.id), \(session.subject), \(session.protocolVersion.rawValue),
                    \(session.createdAt.millisecondsSince1970), \(session.lastUsedAt.millisecondsSince1970))
                """
            )
            let ended = try await transaction.rows(
                """
                DELETE FROM mcp_sessions WHERE user_id = \(session.subject) AND id NOT IN (
                    SELECT id FROM mcp_sessions WHERE user_id = \(session.subject)
                    ORDER BY last_used_at DESC, created_at DESC, id = \(session.id) DESC LIMIT \(Int64(max(0, limit)))
                ) RETURNING id
                """
            ).map { try $0.decode(String.self) }
            for id in ended { try await transaction.notify(.sessionEnded(id)) }
            return ended
        }
    }

    public func session(id: String) async throws -> MCPSession? {
        try await self.database.rows(Fetch(id: id)).first
    }

    public func touch(id: String, at date: Date) async throws {
        try await self.database.rows("UPDATE mcp_sessions SET last_used_at = \(date.millisecondsSince1970) WHERE id = \(id)")
    }

    public func delete(id: String) async throws {
        try await self.database.transaction { transaction in
            let deleted = try await transaction.rows("DELETE FROM mcp_sessions WHERE id = \(id) RETURNING 1")
            if !deleted.isEmpty { try await transaction.notify(.sessionEnded(id)) }
        }
    }

    /// A session by id: every legacy request whose session is not cached reads one.
    struct Fetch: PostgresPreparedStatement {
        static let sql = "SELECT id, user_id, protocol_version, created_at, last_used_at FROM mcp_sessions WHERE id = $1"
        typealias Row = MCPSession
        var id: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(self.id)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> MCPSession {
            let (id, subject, version, createdAt, lastUsedAt) = try row.decode((String, String, String, Int64, Int64).self)
            return MCPSession(
                id: id,
                subject: subject,
                protocolVersion: ProtocolVersion(rawValue: version),
                createdAt: Date(millisecondsSince1970: createdAt),
                lastUsedAt: Date(millisecondsSince1970: lastUsedAt)
            )
        }
    }
}
