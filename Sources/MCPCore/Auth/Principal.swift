/// Who a request acts for: the subject of its access token and the scopes the token grants.
public struct Principal: Hashable, Sendable {
    /// The user's stable identifier.
    public var subject: String
    /// The OAuth scopes granted.
    public var scopes: Set<String>

    /// Makes a principal, as a ``BearerAuthenticator`` does from a valid token.
    public init(subject: String, scopes: Set<String>) {
        self.subject = subject
        self.scopes = scopes
    }
}

/// Turns a bearer token into the principal it stands for. Every MCP request is authenticated with
/// it on its own; a session never stands in for a token.
public protocol BearerAuthenticator: Sendable {
    /// The principal of a valid token for this server, or `nil` for a token that is unknown,
    /// expired, malformed or meant for another audience.
    func authenticate(token: String) async -> Principal?
}
