import Foundation
import Synchronization
import Testing

@testable import MCPCore

@Suite("Session cache")
struct CachingSessionStoreTests {
    /// Counts reads of the store behind the cache.
    actor CountingStore: MCPSessionStore {
        var sessions: [String: MCPSession] = [:]
        var reads = 0
        func insert(_ session: MCPSession, keepingAtMost limit: Int) -> [String] {
            self.sessions[session.id] = session
            return []
        }
        func session(id: String) -> MCPSession? {
            self.reads += 1
            return self.sessions[id]
        }
        func touch(id: String, at date: Date) { self.sessions[id]?.lastUsedAt = date }
        func delete(id: String) { self.sessions[id] = nil }
        func forget(_ id: String) { self.sessions[id] = nil }
    }

    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: @Sendable () -> Date { { self.time.withLock { $0 } } }
    }

    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func readsComeFromMemoryWhileFresh() async throws {
        let base = CountingStore()
        let clock = Clock()
        let cache = CachingSessionStore(base, lifetime: 30, now: clock.now)
        let session = MCPSession(id: "s", subject: "u", protocolVersion: .v2025_11_25, createdAt: self.start, lastUsedAt: self.start)
        try await cache.insert(session)
        #expect(try await cache.session(id: "s") == session)
        #expect(try await cache.session(id: "s") == session)
        #expect(await base.reads == 0)

        try await cache.touch(id: "s", at: self.start.addingTimeInterval(10))
        #expect(try await cache.session(id: "s")?.lastUsedAt == self.start.addingTimeInterval(10))

        // Past the lifetime the store is asked again, and sees what changed behind the cache.
        await base.forget("s")
        clock.time.withLock { $0 += 31 }
        #expect(try await cache.session(id: "s") == nil)
        #expect(await base.reads == 1)
    }

    @Test func deleteEndsTheSessionAtOnce() async throws {
        let cache = CachingSessionStore(CountingStore())
        try await cache.insert(MCPSession(id: "s", subject: "u", protocolVersion: .v2025_11_25, createdAt: self.start, lastUsedAt: self.start))
        try await cache.delete(id: "s")
        #expect(try await cache.session(id: "s") == nil)
    }

    @Test("A session another process ended is read again once forgotten, one by one or all at once")
    func forgettingReadsTheStoreAgain() async throws {
        let base = CountingStore()
        let cache = CachingSessionStore(base, lifetime: 30)
        for id in ["s1", "s2"] {
            try await cache.insert(MCPSession(id: id, subject: "u", protocolVersion: .v2025_11_25, createdAt: self.start, lastUsedAt: self.start))
        }
        // Another process ended both: the store no longer has them, the cache still does.
        await base.forget("s1")
        await base.forget("s2")
        #expect(try await cache.session(id: "s1") != nil, "trusted from memory until told")
        cache.forget(id: "s1")
        #expect(try await cache.session(id: "s1") == nil)
        #expect(try await cache.session(id: "s2") != nil)
        cache.forgetAll()
        #expect(try await cache.session(id: "s2") == nil)
        #expect(await base.reads == 2)
    }
}
