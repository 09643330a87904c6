public import Foundation
import GRDB
public import MCPCore
import TodoDomain

/// Legacy MCP sessions in SQLite, so that they survive a restart.
public struct SQLiteMCPSessionStore: MCPSessionStore {
    private let database: AppDatabase

    /// A store in `database`.
    public init(_ database: AppDatabase) { self.database = database }

    public func insert(_ session: MCPSession, keepingAtMost limit: Int) async throws -> [String] {
        try await self.database.writer.write { db in
            try db.execute(
                sql: "INSERT INTO mcp_sessions (id, user_id, protocol_version, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    session.id, session.subject, session.protocolVersion.rawValue, session.createdAt.millisecondsSince1970,
                    session.lastUsedAt.millisecondsSince1970,
                ]
            )
            return try String.fetchAll(
                db,
                sql: """
                    DELETE FROM mcp_sessions WHERE user_id = ?1 AND id NOT IN (
                        SELECT id FROM mcp_sessions WHERE user_id = ?1 ORDER BY last_used_at DESC, created_at DESC, id = ?2 DESC LIMIT ?3
                    ) RETURNING id
                    """,
                arguments: [session.subject, session.id, min(limit, Int(Int32.max))]
            )
        }
    }

    public func session(id: String) async throws -> MCPSession? {
        try await self.database.readStatement { db in
            try Row.fetchOne(
                db,
                sql: "SELECT id, user_id, protocol_version, created_at, last_used_at FROM mcp_sessions WHERE id = ?",
                arguments: [id]
            ).map { row in
                MCPSession(
                    id: row[0],
                    subject: row[1],
                    protocolVersion: ProtocolVersion(rawValue: row[2]),
                    createdAt: Date(millisecondsSince1970: row[3]),
                    lastUsedAt: Date(millisecondsSince1970: row[4])
                )
            }
        }
    }

    public func touch(id: String, at date: Date) async throws {
        try await self.database.writer.write { db in
            try db.execute(sql: "UPDATE mcp_sessions SET last_used_at = ? WHERE id = ?", arguments: [date.millisecondsSince1970, id])
        }
    }

    public func delete(id: String) async throws {
        try await self.database.writer.write { db in
            try db.execute(sql: "DELETE FROM mcp_sessions WHERE id = ?", arguments: [id])
        }
    }
}
