import EndpointCore
public import Foundation

/// A legacy (2025-11-25 and earlier) MCP session: created by `initialize`, named by the
/// `Mcp-Session-Id` header, bound to the user who created it.
///
/// A session is never authentication: every request still carries its own token, and a request
/// whose token names another user is refused the session.
public struct MCPSession: Hashable, Sendable {
    /// Random, visible ASCII.
    public var id: String
    /// The user who created the session.
    public var subject: String
    /// The negotiated protocol revision.
    public var protocolVersion: ProtocolVersion
    /// When `initialize` created the session.
    public var createdAt: Date
    /// When a request last used the session, to within a minute (it is not rewritten more often); the session expires
    /// after a configured idle time.
    public var lastUsedAt: Date

    /// Makes a session from its stored fields.
    public init(id: String, subject: String, protocolVersion: ProtocolVersion, createdAt: Date, lastUsedAt: Date) {
        self.id = id
        self.subject = subject
        self.protocolVersion = protocolVersion
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// A new session id: 256 random bits in base64url (43 visible ASCII characters).
    static func newID() -> String {
        Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max) })
    }
}

/// Where legacy sessions are kept, so that they survive a restart.
public protocol MCPSessionStore: Sendable {
    /// Stores `session`, then ends the least recently used sessions of its subject beyond `limit`.
    /// - Returns: the ids of the sessions it ended.
    func insert(_ session: MCPSession, keepingAtMost limit: Int) async throws -> [String]
    /// The session with `id`, however long idle (the caller judges expiry from `lastUsedAt`), or `nil` when there is none.
    func session(id: String) async throws -> MCPSession?
    /// Records that the session was used at `date`.
    func touch(id: String, at date: Date) async throws
    /// Ends the session; deleting one that is not there does nothing.
    func delete(id: String) async throws
}

extension MCPSessionStore {
    /// Stores `session` without a limit per subject.
    public func insert(_ session: MCPSession) async throws {
        _ = try await self.insert(session, keepingAtMost: .max)
    }
}

/// Sessions in memory: for tests and servers that keep nothing.
public actor InMemorySessionStore: MCPSessionStore {
    private var sessions: [String: MCPSession] = [:]

    /// An empty store.
    public init() {}

    public func insert(_ session: MCPSession, keepingAtMost limit: Int) -> [String] {
        self.sessions[session.id] = session
        let mine = self.sessions.values.filter { $0.subject == session.subject }
        guard mine.count > limit else { return [] }
        let ended = mine.sorted { ($0.lastUsedAt, $0.createdAt) < ($1.lastUsedAt, $1.createdAt) }.prefix(mine.count - limit).map(\.id)
        for id in ended { self.sessions[id] = nil }
        return ended
    }
    public func session(id: String) -> MCPSession? { self.sessions[id] }
    public func touch(id: String, at date: Date) { self.sessions[id]?.lastUsedAt = date }
    public func delete(id: String) { self.sessions[id] = nil }
}
