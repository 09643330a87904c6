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
    public var createdAt: Date
    /// When a request last used the session; the session expires after a configured idle time.
    public var lastUsedAt: Date

    public init(id: String, subject: String, protocolVersion: ProtocolVersion, createdAt: Date, lastUsedAt: Date) {
        self.id = id
        self.subject = subject
        self.protocolVersion = protocolVersion
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// A new session id: 256 random bits in base64url (43 visible ASCII characters).
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next()) { Array($0) } }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Where legacy sessions are kept, so that they survive a restart.
public protocol MCPSessionStore: Sendable {
    func insert(_ session: MCPSession) async throws
    func session(id: String) async throws -> MCPSession?
    /// Records that the session was used at `date`.
    func touch(id: String, at date: Date) async throws
    func delete(id: String) async throws
}

/// Sessions in memory: for tests and servers that keep nothing.
public actor InMemorySessionStore: MCPSessionStore {
    private var sessions: [String: MCPSession] = [:]

    public init() {}

    public func insert(_ session: MCPSession) { self.sessions[session.id] = session }
    public func session(id: String) -> MCPSession? { self.sessions[id] }
    public func touch(id: String, at date: Date) { self.sessions[id]?.lastUsedAt = date }
    public func delete(id: String) { self.sessions[id] = nil }
}
