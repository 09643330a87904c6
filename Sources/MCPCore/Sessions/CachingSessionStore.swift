public import Foundation
import NIOConcurrencyHelpers

/// Keeps recently used sessions in memory in front of another store, so that a legacy request
/// does not read the database to find its session.
///
/// Writes go through to the underlying store. A cached entry is trusted for `lifetime`; within one
/// process every change passes through this cache, so it is never stale there. With several
/// processes sharing a database, a session ended in one is still accepted by another for at most
/// `lifetime`, unless that process hears of it and calls ``forget(id:)`` (the server does, through
/// PostgreSQL's notifications).
public final class CachingSessionStore: MCPSessionStore {
    private let base: any MCPSessionStore
    private let lifetime: TimeInterval
    private let now: @Sendable () -> Date
    private let maxEntries: Int
    // A pthread lock, which ThreadSanitizer follows; `Mutex` waits under contention in code it cannot see.
    private let cache = NIOLockedValueBox<[String: (session: MCPSession, cachedAt: Date)]>([:])

    /// Puts a cache in front of `base`.
    /// - Parameters:
    ///   - base: the store that holds the sessions; every write goes through to it.
    ///   - lifetime: how many seconds a cached session is trusted before `base` is read again.
    ///   - maxEntries: the most sessions kept; when full, stale entries are dropped, and if that is not enough, all of them.
    ///   - now: the clock, replaceable in tests.
    public init(_ base: any MCPSessionStore, lifetime: TimeInterval = 30, maxEntries: Int = 10_000, now: @escaping @Sendable () -> Date = Date.init) {
        self.base = base
        self.lifetime = lifetime
        self.maxEntries = maxEntries
        self.now = now
    }

    public func insert(_ session: MCPSession, keepingAtMost limit: Int) async throws -> [String] {
        let ended = try await self.base.insert(session, keepingAtMost: limit)
        self.cache.withLockedValue { cache in for id in ended { cache[id] = nil } }
        self.remember(session)
        return ended
    }

    public func session(id: String) async throws -> MCPSession? {
        let now = self.now()
        if let entry = self.cache.withLockedValue({ $0[id] }), now.timeIntervalSince(entry.cachedAt) < self.lifetime {
            return entry.session
        }
        guard let session = try await self.base.session(id: id) else {
            _ = self.cache.withLockedValue { $0.removeValue(forKey: id) }
            return nil
        }
        self.remember(session)
        return session
    }

    public func touch(id: String, at date: Date) async throws {
        try await self.base.touch(id: id, at: date)
        self.cache.withLockedValue { cache in cache[id]?.session.lastUsedAt = date }
    }

    public func delete(id: String) async throws {
        _ = self.cache.withLockedValue { $0.removeValue(forKey: id) }
        try await self.base.delete(id: id)
    }

    /// Drops the cached entry of session `id`, so that the next request reads the store: for a
    /// session another process ended.
    public func forget(id: String) {
        _ = self.cache.withLockedValue { $0.removeValue(forKey: id) }
    }

    /// Drops every cached entry: for when this process may have missed sessions that others ended.
    public func forgetAll() {
        self.cache.withLockedValue { $0.removeAll() }
    }

    private func remember(_ session: MCPSession) {
        let now = self.now()
        self.cache.withLockedValue { cache in
            if cache.count >= self.maxEntries { cache = cache.filter { now.timeIntervalSince($0.value.cachedAt) < self.lifetime } }
            if cache.count >= self.maxEntries { cache.removeAll(keepingCapacity: true) }
            cache[session.id] = (session, now)
        }
    }
}
