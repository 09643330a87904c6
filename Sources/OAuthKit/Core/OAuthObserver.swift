/// Hears what the authorization server does, for metrics: a host counts the events.
///
/// Called on the request's task, so an implementation must be quick and must not block.
public protocol OAuthObserver: Sendable {
    /// Something happened.
    func record(_ event: OAuthEvent)
}

/// What the authorization server reports to an ``OAuthObserver``.
public enum OAuthEvent: Hashable, Sendable {
    /// A login code was stored and handed to the delivery.
    case loginCodeSent
    /// A typed login code was right (`true`) or wrong, expired or used up (`false`).
    case signIn(succeeded: Bool)
    /// The token endpoint issued tokens for the grant type `authorization_code` or `refresh_token`.
    case tokensIssued(grantType: String)
    /// A rotated refresh token was replayed outside its grace; its grant was revoked.
    case refreshReuseDetected
    /// An authorization code was used a second time; what the first use issued was revoked.
    case codeReplayDetected
    /// A rate limit refused a request; `limit` names it (such as `email` or `token`).
    case rateLimited(limit: String)
}
