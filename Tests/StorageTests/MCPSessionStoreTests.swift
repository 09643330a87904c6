import Foundation
import MCPCore
import OAuthKit
import Testing
import TodoDomain

@testable import Storage

@Suite("MCP session stores")
struct MCPSessionStoreTests {
    @Test(arguments: StoreKind.available)
    func storesTouchesAndDeletes(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let user = try await stores.user("a@example.com")
            let store = stores.sessions
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
    }

    @Test(arguments: StoreKind.available)
    func sessionsGoWithTheirUser(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let user = try await stores.user("a@example.com")
            let store = stores.sessions
            let now = Date(millisecondsSince1970: 1_800_000_000_000)
            try await store.insert(MCPSession(id: "s", subject: user.rawValue, protocolVersion: .v2025_11_25, createdAt: now, lastUsedAt: now))
            try await stores.oauth.deleteAccount(subject: user.rawValue)
            #expect(try await store.session(id: "s") == nil)
        }
    }
}
