public import Foundation

/// How the authorization server names itself and how long what it issues lives.
public struct OAuthConfiguration: Sendable {
    /// The issuer: the public URL of the mount point, such as `https://todo.example.com` or
    /// `https://example.com/auth` (no trailing slash). Every endpoint URL in the metadata is the
    /// issuer followed by the endpoint's path (`/oauth/token`).
    public var issuer: String
    /// Where the endpoints are served on this server: `""` for the root, or a prefix such as
    /// `/auth`. The issuer's path ends with it (a reverse proxy may add a prefix in front).
    public var mountPath: String
    /// Whether `/authorize`, `/token` and `/register` are also served at the root of the server:
    /// some clients assume them there when discovery fails. By default only when the server is
    /// mounted at the root, so that a mounted server leaves the host's own paths alone.
    public var servesRootAliases: Bool
    /// The largest body of a registration, token, revocation or sign-in form request, in bytes.
    public var maxBodyBytes: Int
    /// The protected resource (the MCP endpoint) in canonical form, such as `https://todo.example.com/`.
    /// Tokens are issued for it alone.
    public var resource: String
    /// The scopes the server offers, in the order metadata lists them.
    public var scopes: [ScopeDefinition]
    /// The scopes granted when a client asks for none (or only for unknown ones); `nil` for all.
    public var defaultScopes: [Scope]?
    /// The name of the protected resource, for its metadata and for the sign-in page ("… wants to use <name>").
    public var resourceName: String
    /// How long access tokens live, in seconds.
    public var accessTokenLifetime: TimeInterval
    /// How long refresh tokens live unused, in seconds.
    public var refreshTokenLifetime: TimeInterval
    /// How long authorization codes live, in seconds.
    public var authorizationCodeLifetime: TimeInterval
    /// How long login codes live, in seconds.
    public var loginCodeLifetime: TimeInterval
    /// Wrong entries a login code survives before it is void.
    public var loginCodeAttempts: Int
    /// How long a just-rotated refresh token stays usable, so that concurrent refreshes do not log a user out.
    public var refreshGracePeriod: TimeInterval
    /// How long the browser stays logged in to the authorization pages.
    public var loginSessionLifetime: TimeInterval
    /// How long the account page stays signed in (it can disconnect apps and delete the account,
    /// so it is shorter).
    public var accountSessionLifetime: TimeInterval
    /// Whether login codes are shown on the page (for local use) instead of only being delivered.
    public var demoMode: Bool
    /// Whether cookies are `Secure` (the public URL is https).
    public var secureCookies: Bool

    /// Makes a configuration. A trailing slash of `mountPath` is dropped, and `secureCookies` defaults to whether the
    /// issuer is https.
    public init(
        issuer: String,
        resource: String,
        scopes: [ScopeDefinition],
        resourceName: String = "MCP server",
        mountPath: String = "",
        servesRootAliases: Bool? = nil,
        maxBodyBytes: Int = 64 * 1024,
        defaultScopes: [Scope]? = nil,
        accessTokenLifetime: TimeInterval = 3600,
        refreshTokenLifetime: TimeInterval = 30 * 86_400,
        authorizationCodeLifetime: TimeInterval = 600,
        loginCodeLifetime: TimeInterval = 600,
        loginCodeAttempts: Int = 5,
        refreshGracePeriod: TimeInterval = 60,
        loginSessionLifetime: TimeInterval = 7 * 86_400,
        accountSessionLifetime: TimeInterval = 3600,
        demoMode: Bool = true,
        secureCookies: Bool? = nil
    ) {
        self.issuer = issuer
        self.resource = resource
        let segments = mountPath.split(separator: "/")
        self.mountPath = segments.isEmpty ? "" : "/" + segments.joined(separator: "/")
        self.servesRootAliases = servesRootAliases ?? segments.isEmpty
        self.maxBodyBytes = maxBodyBytes
        self.scopes = scopes
        self.defaultScopes = defaultScopes
        self.resourceName = resourceName
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.authorizationCodeLifetime = authorizationCodeLifetime
        self.loginCodeLifetime = loginCodeLifetime
        self.loginCodeAttempts = loginCodeAttempts
        self.refreshGracePeriod = refreshGracePeriod
        self.loginSessionLifetime = loginSessionLifetime
        self.accountSessionLifetime = accountSessionLifetime
        self.demoMode = demoMode
        self.secureCookies = secureCookies ?? issuer.hasPrefix("https://")
    }

    /// The issuer's origin (`https://todo.example.com`), which the browser names in the `Origin`
    /// header of the pages' forms.
    public var issuerOrigin: String {
        guard let url = URLComponents(string: self.issuer), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else {
            return self.issuer
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = url.port.flatMap { $0 == defaultPort ? nil : ":\($0)" } ?? ""
        return "\(scheme)://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host)\(port)"
    }

    /// The issuer's host, such as `todo.example.com`: what a person signs in to.
    public var issuerHost: String { URLComponents(string: self.issuer)?.host ?? self.issuer }

    /// The scopes offered, without their explanations.
    public var supportedScopes: [Scope] { self.scopes.map(\.scope) }

    /// The words for `scope` on the consent page (its name when it has none).
    func explanation(of scope: Scope) -> String {
        self.scopes.first { $0.scope == scope }?.explanation ?? scope.rawValue
    }

    /// Whether `value` names this server's resource: the canonical form, or the same URL with or
    /// without the trailing slash of a host-only URL (clients differ on that slash).
    public func isResource(_ value: String) -> Bool {
        Self.canonicalResource(value) == Self.canonicalResource(self.resource)
    }

    /// A resource URL with the trailing slash of a host-only URL made explicit, as URL parsers print it.
    public static func canonicalResource(_ value: String) -> String {
        guard let components = URLComponents(string: value), components.host != nil, components.path.isEmpty else { return value }
        return value + "/"
    }

    /// Checks what a server cannot work with: scope names outside RFC 6749's scope-token characters
    /// (a space would split one scope into two in tokens and storage), repeated scopes, default
    /// scopes that are not offered, and an issuer that is not an absolute http(s) URL ending with
    /// the mount path.
    func validate() throws(OAuthConfigurationError) {
        guard !self.scopes.isEmpty else { throw OAuthConfigurationError("offer at least one scope") }
        var seen: Set<Scope> = []
        for definition in self.scopes {
            let name = definition.scope.rawValue
            // scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != "\"" && $0 != "\\" }) else {
                throw OAuthConfigurationError("the scope '\(name)' may hold only printable ASCII without spaces, quotes or backslashes")
            }
            guard seen.insert(definition.scope).inserted else { throw OAuthConfigurationError("the scope '\(name)' is offered twice") }
        }
        if let defaults = self.defaultScopes {
            guard !defaults.isEmpty else { throw OAuthConfigurationError("the default scopes are empty; leave them out to grant every scope") }
            if let unknown = defaults.first(where: { !seen.contains($0) }) {
                throw OAuthConfigurationError("the default scope '\(unknown.rawValue)' is not among the offered scopes")
            }
        }
        guard let issuer = URLComponents(string: self.issuer), issuer.scheme == "https" || issuer.scheme == "http", issuer.host?.isEmpty == false,
            issuer.query == nil, issuer.fragment == nil, !self.issuer.hasSuffix("/")
        else {
            throw OAuthConfigurationError("the issuer '\(self.issuer)' must be an absolute http(s) URL without query, fragment or trailing slash")
        }
        guard issuer.path.hasSuffix(self.mountPath) else {
            throw OAuthConfigurationError("the issuer's path '\(issuer.path)' must end with the mount path '\(self.mountPath)'")
        }
        guard URLComponents(string: self.resource).map({ $0.scheme != nil && $0.host?.isEmpty == false }) == true else {
            throw OAuthConfigurationError("the resource '\(self.resource)' must be an absolute URL")
        }
    }
}

/// A configuration the authorization server cannot work with; ``AuthorizationServer/make(configuration:store:configuredKeys:delivery:metadataFetcher:pages:environment:limits:logger:)``
/// throws it.
public struct OAuthConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, in words.
    public var description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
