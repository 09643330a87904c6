import Foundation
import MCPCore
import Testing
import TodoDomain

@testable import Storage

@Suite("SQLite MCP sessions")
struct SQLiteMCPSessionStoreTests {
    @Test func storesTouchesAndDeletes() async throws {
        let database = try AppDatabase.inMemory()
        let user = try await SQLiteUserRepository(database).findOrCreateUser(email: "a@example.com")
        let store = SQLiteMCPSessionStore(database)
        let created = Date(millisecondsSince1970: 1_800_000_000_000)
        let session = MCPSession(id: "abc", subject: user.rawValue, protocolVersion: .v2025_06_18, createdAt: created, lastUsedAt: created)

        try await store.insert(session)
        #expect(try await store.session(id: "abc") == session)
        #expect(try await store.session(id: "other") == nil)

        let later = Date(millisecondsSince1970: 1_800_000_060_000)
        try await store.touch(id: "abc", at: later)
        #expect(try await store.session(id: "abc")?.lastUsedAt == later)

        try await store.delete(id: "abc")
        #expect(try await store.session(id: "abc") == nil)
    }

    @Test func sessionsGoWithTheirUser() async throws {
        let database = try AppDatabase.inMemory()
        let users = SQLiteUserRepository(database)
        let user = try await users.findOrCreateUser(email: "a@example.com")
        let store = SQLiteMCPSessionStore(database)
        let now = Date(millisecondsSince1970: 1_800_000_000_000)
        try await store.insert(MCPSession(id: "s", subject: user.rawValue, protocolVersion: .v2025_11_25, createdAt: now, lastUsedAt: now))
        try await users.delete(user)
        #expect(try await store.session(id: "s") == nil)
    }
}
