public import HTTPTypes

/// What the authorization endpoint answers a browser.
enum AuthorizeOutcome: Sendable {
    /// A page of the login flow.
    case page(AuthorizePage, cookies: [Cookie])
    /// A redirect to the client (with `code` or `error`, plus `state` and `iss`), or within the flow.
    case redirect(String, cookies: [Cookie])
    /// The request cannot be trusted to redirect anywhere (unknown client, unregistered redirect
    /// URI): an error page for the person, never a redirect.
    case errorPage(title: String, message: String, status: HTTPResponse.Status)
}

/// One page of the login flow, for the HTTP layer to render. Everything here is plain text;
/// the renderer escapes it.
public struct AuthorizePage: Sendable {
    /// Which form the page shows.
    public enum Step: String, Sendable {
        /// Ask for the e-mail address.
        case email
        /// Ask for the code sent to it.
        case code
        /// Ask to approve the client.
        case consent
    }

    /// Which form the page shows.
    public var step: Step
    /// The HTTP status of the page (200, or 400/403/429 when it reports a problem).
    public var status: HTTPResponse.Status
    /// Seconds to wait, when the page reports a rate limit (status 429).
    public var retryAfter: Int?
    /// The client's registered name, shown so the person knows who asks for access.
    public var clientName: String
    /// Where the page's forms post to: the path that served the page (the mounted authorization
    /// endpoint, or the root alias a client used).
    public var formAction: String
    /// The name of what the client wants to use (``OAuthConfiguration/resourceName``).
    public var resourceName: String
    /// The host (or app scheme) the client's redirect goes to, shown so the person knows where they are sent.
    public var redirectHost: String
    /// What the client asks for, in words.
    public var scopeDescriptions: [String]
    /// The e-mail address being logged in, on the code and consent steps.
    public var email: String?
    /// How long a login code stays valid, in whole minutes.
    public var codeLifetimeMinutes: Int
    /// Whether the page warns that demo mode is on at an address others can reach.
    public var demoWarning: Bool
    /// The login code, shown only in demo mode.
    public var demoCode: String?
    /// A problem to report, such as a wrong code.
    public var message: String?
    /// The CSRF token every form must send back.
    public var csrfToken: String
    /// The authorization request, carried through the forms as hidden fields.
    public var requestFields: [(name: String, value: String)]
}
