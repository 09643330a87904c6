public import EndpointCore
import HTTPTypes

/// The one path table of the authorization server: where each endpoint is served on this server
/// and the absolute URL its metadata names for it. Both follow the mount point.
///
/// With the issuer `https://example.com/auth` mounted at `/auth`, the token endpoint is served at
/// `/auth/oauth/token` and published as `https://example.com/auth/oauth/token`; the metadata is
/// served at `/.well-known/oauth-authorization-server/auth` (RFC 8414 §3.1), at the root form and
/// at `/auth/.well-known/oauth-authorization-server`, which some clients try.
public struct OAuthPaths: Sendable {
    /// An endpoint of the authorization server.
    public enum Endpoint: Sendable, Hashable, CaseIterable {
        /// RFC 9728 protected-resource metadata.
        case protectedResourceMetadata
        /// RFC 8414 authorization-server metadata.
        case authorizationServerMetadata
        /// RFC 7591 dynamic client registration.
        case registration
        /// The authorization endpoint with its sign-in pages.
        case authorization
        /// The token endpoint.
        case token
        /// RFC 7009 revocation.
        case revocation
        /// The account page: connected apps, the person's data, sign-out and deletion.
        case account

        /// The path below the mount point (metadata lives under `/.well-known/` at the root instead).
        var suffix: String {
            switch self {
            case .protectedResourceMetadata: "/.well-known/oauth-protected-resource"
            case .authorizationServerMetadata: "/.well-known/oauth-authorization-server"
            case .registration: "/oauth/register"
            case .authorization: "/oauth/authorize"
            case .token: "/oauth/token"
            case .revocation: "/oauth/revoke"
            case .account: "/account"
            }
        }

        /// The methods served.
        var methods: [HTTPRequest.Method] {
            switch self {
            case .protectedResourceMetadata, .authorizationServerMetadata: [.get, .options]
            case .registration, .token, .revocation: [.post, .options]
            case .authorization, .account: [.get, .post]
            }
        }

        /// The root path that clients without discovery assume, if any.
        var rootAlias: String? {
            switch self {
            case .registration: "/register"
            case .authorization: "/authorize"
            case .token: "/token"
            default: nil
            }
        }
    }

    private let issuer: String
    private let table: [(route: EndpointRoute, endpoint: Endpoint)]

    /// The table of a server with `configuration`.
    public init(_ configuration: OAuthConfiguration) {
        self.issuer = configuration.issuer
        let mount = configuration.mountPath
        var table: [(EndpointRoute, Endpoint)] = []
        for endpoint in Endpoint.allCases {
            switch endpoint {
            case .protectedResourceMetadata, .authorizationServerMetadata:
                // The root form, and every path-suffixed form (clients insert the resource's or the
                // issuer's path after the well-known name, or probe other forms first).
                table.append((EndpointRoute(endpoint.suffix, includesDescendants: true, methods: endpoint.methods), endpoint))
                if !mount.isEmpty, endpoint == .authorizationServerMetadata {
                    table.append((EndpointRoute(mount + endpoint.suffix, methods: endpoint.methods), endpoint))
                }
            default:
                table.append((EndpointRoute(mount + endpoint.suffix, methods: endpoint.methods), endpoint))
                if configuration.servesRootAliases, let alias = endpoint.rootAlias, alias != mount + endpoint.suffix {
                    table.append((EndpointRoute(alias, methods: endpoint.methods), endpoint))
                }
            }
        }
        self.table = table
    }

    /// Every path served, with its methods.
    public var routes: [EndpointRoute] { self.table.map(\.route) }

    /// The endpoint served at `path` (without query), if any.
    public func endpoint(at path: some StringProtocol) -> Endpoint? { self.match(path)?.endpoint }

    /// The route and endpoint that serve `path`, compared the way HTTP routers do: empty segments
    /// (`//`, a trailing `/`) do not count.
    func match(_ path: some StringProtocol) -> (route: EndpointRoute, endpoint: Endpoint)? {
        let normalized = "/" + path.split(separator: "/").joined(separator: "/")
        return self.table.first { $0.route.matches(path: normalized) }
    }

    /// The absolute URL of `endpoint`, as the metadata publishes it.
    public func url(of endpoint: Endpoint) -> String { self.issuer + endpoint.suffix }
}
