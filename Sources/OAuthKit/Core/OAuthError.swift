public import HTTPTypes

/// An OAuth error code (RFC 6749 §4.1.2.1 and §5.2, RFC 7009, RFC 7591 §3.2.2, RFC 8628, RFC 8707). An open set.
public struct OAuthErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// RFC 6749 §4.1.2.1 and §5.2: a parameter is missing, repeated, malformed or not allowed, or the body has the wrong content type.
    public static let invalidRequest = OAuthErrorCode(rawValue: "invalid_request")
    /// RFC 6749 §5.2: the client is unknown, such as a forgotten registration, or its metadata document cannot be fetched.
    public static let invalidClient = OAuthErrorCode(rawValue: "invalid_client")
    /// RFC 6749 §5.2: the code or refresh token is invalid, expired, already used, revoked or issued to another client, or the
    /// redirect URI or PKCE verifier does not match.
    public static let invalidGrant = OAuthErrorCode(rawValue: "invalid_grant")
    /// RFC 6749 §4.1.2.1 and §5.2: the client is not allowed to ask for a code or to use the grant type.
    public static let unauthorizedClient = OAuthErrorCode(rawValue: "unauthorized_client")
    /// RFC 6749 §5.2: a `grant_type` other than `authorization_code` and `refresh_token`.
    public static let unsupportedGrantType = OAuthErrorCode(rawValue: "unsupported_grant_type")
    /// RFC 6749 §4.1.2.1: a `response_type` other than `code`.
    public static let unsupportedResponseType = OAuthErrorCode(rawValue: "unsupported_response_type")
    /// RFC 6749 §4.1.2.1 and §5.2: a requested scope is unknown, or a refresh asks for a scope the grant does not hold.
    public static let invalidScope = OAuthErrorCode(rawValue: "invalid_scope")
    /// RFC 8707 §2: the `resource` parameter names a resource this server does not issue tokens for.
    public static let invalidTarget = OAuthErrorCode(rawValue: "invalid_target")
    /// RFC 6749 §4.1.2.1: the user or the server refused the authorization request.
    public static let accessDenied = OAuthErrorCode(rawValue: "access_denied")
    /// RFC 6749 §4.1.2.1, used at every endpoint here: something failed on the server, such as storage; sent with status 500.
    public static let serverError = OAuthErrorCode(rawValue: "server_error")
    /// RFC 6749 §4.1.2.1: the server cannot handle the request now, being overloaded or under maintenance.
    public static let temporarilyUnavailable = OAuthErrorCode(rawValue: "temporarily_unavailable")
    /// RFC 7591 §3.2.2: a registration's redirect URIs are missing or one of them is not allowed.
    public static let invalidRedirectURI = OAuthErrorCode(rawValue: "invalid_redirect_uri")
    /// RFC 7591 §3.2.2: a registration's or a metadata document's fields are invalid, or the body is not client metadata.
    public static let invalidClientMetadata = OAuthErrorCode(rawValue: "invalid_client_metadata")
    /// RFC 7009 §2.2.1: a revocation request names a token type the server cannot revoke.
    public static let unsupportedTokenType = OAuthErrorCode(rawValue: "unsupported_token_type")
    /// RFC 8628 §3.5: the client asks too often; sent with status 429 and `Retry-After` when a rate limit is hit.
    public static let slowDown = OAuthErrorCode(rawValue: "slow_down")

    public var description: String { self.rawValue }
}

/// A refused OAuth request: the code, a message for the developer, and the HTTP status.
public struct OAuthError: Error, Hashable, Sendable {
    /// What went wrong, as a code the client can act on.
    public var code: OAuthErrorCode
    /// A message for the developer, sent as `error_description`.
    public var description: String
    /// The HTTP status of the answer.
    public var status: HTTPResponse.Status
    /// Seconds to wait before retrying, for 429 answers.
    public var retryAfter: Int?

    /// Makes an error; the status is 400 unless given, and `retryAfter` belongs only to 429 answers.
    public init(_ code: OAuthErrorCode, _ description: String, status: HTTPResponse.Status = .badRequest, retryAfter: Int? = nil) {
        self.code = code
        self.description = description
        self.status = status
        self.retryAfter = retryAfter
    }

    static func tooManyRequests(retryAfter: Int) -> OAuthError {
        OAuthError(.slowDown, "Too many requests; retry in \(retryAfter) seconds.", status: .tooManyRequests, retryAfter: retryAfter)
    }
}
