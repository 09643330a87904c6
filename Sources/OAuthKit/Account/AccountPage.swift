public import HTTPTypes

/// One page of the account page, for a renderer. Everything here is plain text; the renderer
/// escapes it.
public struct AccountPage: Sendable {
    /// Which page it is.
    public enum Step: String, Sendable {
        /// Ask for the e-mail address.
        case email = "account-email"
        /// Ask for the code sent to it.
        case code = "account-code"
        /// The signed-in page: connected apps, the person's data and the account's actions.
        case overview = "account"
    }

    /// Which page it is.
    public var step: Step
    /// The HTTP status of the page.
    public var status: HTTPResponse.Status = .ok
    /// Seconds to wait, when the page reports a rate limit (status 429).
    public var retryAfter: Int?
    /// Where the forms post to (the account page's path).
    public var formAction: String
    /// The name of what the account is for (``OAuthConfiguration/resourceName``).
    public var resourceName: String
    /// The e-mail address: typed in (code step) or signed in (overview).
    public var email: String?
    /// How long a login code stays valid, in whole minutes.
    public var codeLifetimeMinutes: Int
    /// Whether the page warns that demo mode is on at an address others can reach.
    public var demoWarning: Bool
    /// The login code, shown only in demo mode.
    public var demoCode: String?
    /// A problem to report.
    public var message: String?
    /// What the last action did, such as "You are signed out.".
    public var notice: String?
    /// The token every form must send back as `csrf`.
    public var csrfToken: String
    /// The apps the person connected (overview).
    public var apps: [ConnectedApp] = []
    /// A page of the host's data for the person (overview), when the host supplies any.
    public var section: AccountSection?
    /// The link to the next page of ``section``.
    public var nextPageLink: String?
    /// The link back to the first page of ``section``, when this is a later page.
    public var firstPageLink: String?

    /// An app as the overview shows it.
    public struct ConnectedApp: Hashable, Sendable {
        /// The client id, which the "Disconnect" form sends back.
        public var clientID: String
        /// The client's registered name (untrusted text).
        public var name: String
        /// The hosts (or app schemes) it sends the person back to.
        public var redirectHosts: [String]
        /// What it may do, in words.
        public var scopeDescriptions: [String]
        /// When the person first approved it, such as `2026-12-02 10:40 UTC`.
        public var firstAuthorized: String
        /// When it last got tokens, or "not since it was signed out".
        public var lastUsed: String
        /// Whether it can still get tokens without the person signing in again.
        public var isSignedIn: Bool
    }
}
