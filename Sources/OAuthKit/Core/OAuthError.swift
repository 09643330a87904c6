public import HTTPTypes

/// An OAuth error code (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8707, RFC 6750). An open set.
public struct OAuthErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let invalidRequest = OAuthErrorCode(rawValue: "invalid_request")
    public static let invalidClient = OAuthErrorCode(rawValue: "invalid_client")
    public static let invalidGrant = OAuthErrorCode(rawValue: "invalid_grant")
    public static let unauthorizedClient = OAuthErrorCode(rawValue: "unauthorized_client")
    public static let unsupportedGrantType = OAuthErrorCode(rawValue: "unsupported_grant_type")
    public static let unsupportedResponseType = OAuthErrorCode(rawValue: "unsupported_response_type")
    public static let invalidScope = OAuthErrorCode(rawValue: "invalid_scope")
    public static let invalidTarget = OAuthErrorCode(rawValue: "invalid_target")
    public static let accessDenied = OAuthErrorCode(rawValue: "access_denied")
    public static let serverError = OAuthErrorCode(rawValue: "server_error")
    public static let temporarilyUnavailable = OAuthErrorCode(rawValue: "temporarily_unavailable")
    public static let invalidRedirectURI = OAuthErrorCode(rawValue: "invalid_redirect_uri")
    public static let invalidClientMetadata = OAuthErrorCode(rawValue: "invalid_client_metadata")
    public static let unsupportedTokenType = OAuthErrorCode(rawValue: "unsupported_token_type")
    public static let slowDown = OAuthErrorCode(rawValue: "slow_down")

    public var description: String { self.rawValue }
}

/// A refused OAuth request: the code, a message for the developer, and the HTTP status.
public struct OAuthError: Error, Hashable, Sendable {
    public var code: OAuthErrorCode
    public var description: String
    /// The HTTP status of the answer.
    public var status: HTTPResponse.Status
    /// Seconds to wait before retrying, for 429 answers.
    public var retryAfter: Int?

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
