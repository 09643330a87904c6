import EndpointCore
public import Foundation
public import Logging
public import MailDelivery
public import OAuthKit
public import Storage

/// Everything the server needs to know at start-up. Every field has a safe default for local use.
///
/// ```swift
/// let configuration = ServerConfiguration(databasePath: ":memory:")
/// let app = try await buildApplication(configuration)
/// ```
public struct ServerConfiguration: Sendable, Hashable {
    /// The address to listen on.
    public var host: String
    /// The port to listen on.
    public var port: Int
    /// The URL clients use to reach the server, without a trailing slash: the source of every
    /// absolute URL the server prints.
    public var publicURL: URL
    /// The SQLite file; `:memory:` keeps the database in memory (tests, throwaway servers).
    public var databasePath: String
    /// The lowest level that is logged.
    public var logLevel: Logger.Level
    /// Origins besides the public URL's whose browser requests the MCP endpoint accepts.
    public var allowedOrigins: [String]
    /// The largest MCP request body, in bytes.
    public var maxRequestBytes: Int
    /// How long a legacy MCP session lives without use, in seconds.
    public var sessionIdleTimeout: TimeInterval
    /// Whether login codes are shown on the login page instead of being e-mailed.
    public var demoMode: Bool
    /// The mail relay that login codes are sent through; without one, only demo mode can sign in.
    public var smtp: MsmtpSender.Settings?
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed.
    public var trustedProxies: [String]
    /// Access-token signing keys, oldest first (the last signs); empty to use keys kept in the database.
    public var signingKeys: [SigningKey]
    /// Access-token lifetime in seconds.
    public var accessTokenLifetime: TimeInterval
    /// Refresh-token lifetime in seconds.
    public var refreshTokenLifetime: TimeInterval
    /// Whether Client ID Metadata Documents may be fetched from loopback addresses over http (for tests only).
    public var clientMetadataAllowLoopback: Bool
    /// The most todos one user may keep.
    public var maxTodosPerUser: Int
    /// The most legacy MCP sessions one user may hold; creating another ends the least recently used.
    public var maxSessionsPerUser: Int
    /// How long a connection may stay open without a request in progress (waiting for the next
    /// request, or for the first bytes of a request head), in seconds.
    public var idleTimeout: TimeInterval
    /// How long a request's head and body may take to arrive once they have begun, in seconds.
    public var readTimeout: TimeInterval
    /// The bearer secret `GET /metrics` asks for; without one, only loopback clients may read it.
    public var metricsToken: String?
    /// How log lines are written: for people (`text`) or for log collectors (`json`, one object a line).
    public var logFormat: LogFormat = .text
    /// The rate limits of the authorization server (`RATE_LIMIT_*`).
    public var rateLimits = RateLimits()
    /// The most notification streams (2026-07-28 listen streams and legacy GET streams) one user
    /// may hold open at once.
    public var maxStreamsPerUser = 10
    /// How long a notification stream stays silent before it sends a keep-alive comment, in seconds.
    public var streamKeepAlive: TimeInterval = 15
    /// How long a graceful shutdown waits for requests in flight, in seconds, before cancelling them.
    public var shutdownTimeout: TimeInterval = 25
    /// The PostgreSQL database shared by every instance (`DATABASE_URL`); `nil` keeps everything in
    /// the SQLite file at ``databasePath``.
    public var postgres: PostgresSettings?
    /// The most connections this instance opens to PostgreSQL (`DATABASE_MAX_CONNECTIONS`).
    public var databaseMaxConnections = 20

    /// How log lines are written.
    public enum LogFormat: String, Sendable, CaseIterable {
        /// `2026-12-02T10:40:00+0000 info todo-server: key=value … message`.
        case text
        /// One JSON object per line (see ``JSONLogHandler``).
        case json
    }

    /// Makes a configuration; the defaults suit a local server.
    /// Every setting is the property of the same name; `publicURL` defaults to `http://HOST:PORT`
    /// (with `localhost` for a wildcard host).
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        publicURL: URL? = nil,
        databasePath: String = "./data/todo.sqlite",
        logLevel: Logger.Level = .info,
        allowedOrigins: [String] = [],
        maxRequestBytes: Int = 1 << 20,
        sessionIdleTimeout: TimeInterval = 24 * 60 * 60,
        demoMode: Bool = true,
        smtp: MsmtpSender.Settings? = nil,
        trustedProxies: [String] = [],
        signingKeys: [SigningKey] = [],
        accessTokenLifetime: TimeInterval = 3600,
        refreshTokenLifetime: TimeInterval = 30 * 86_400,
        clientMetadataAllowLoopback: Bool = false,
        maxTodosPerUser: Int = 10_000,
        maxSessionsPerUser: Int = 100,
        idleTimeout: TimeInterval = 30,
        readTimeout: TimeInterval = 30,
        metricsToken: String? = nil
    ) {
        self.host = host
        self.port = port
        self.publicURL = publicURL.map(Self.withoutTrailingSlash) ?? Self.defaultPublicURL(host: host, port: port)
        self.databasePath = databasePath
        self.logLevel = logLevel
        self.allowedOrigins = allowedOrigins
        self.maxRequestBytes = maxRequestBytes
        self.sessionIdleTimeout = sessionIdleTimeout
        self.demoMode = demoMode
        self.smtp = smtp
        self.trustedProxies = trustedProxies
        self.signingKeys = signingKeys
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.clientMetadataAllowLoopback = clientMetadataAllowLoopback
        self.maxTodosPerUser = maxTodosPerUser
        self.maxSessionsPerUser = maxSessionsPerUser
        self.metricsToken = metricsToken
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
    }

    /// The MCP endpoint as clients type it: the public URL itself.
    public var mcpURL: String { self.publicURL.absoluteString }

    /// The account page, where the authorization server (its issuer is the MCP URL) serves it.
    public var accountURL: String {
        (self.mcpURL.hasSuffix("/") ? String(self.mcpURL.dropLast()) : self.mcpURL) + "/account"
    }

    /// The origin (`scheme://host[:port]`) of the public URL.
    public var publicOrigin: String {
        var components = URLComponents(url: self.publicURL, resolvingAgainstBaseURL: false)
        components?.path = ""
        return components?.string ?? self.publicURL.absoluteString
    }

    /// The MCP endpoint as a resource identifier: the public URL as URL parsers print it, so a
    /// host-only URL ends in `/` (`https://todo.example.com/`).
    public var resource: String { OAuthConfiguration.canonicalResource(self.mcpURL) }

    /// The RFC 9728 metadata URL of the MCP endpoint.
    public var resourceMetadataURL: String {
        let path = self.publicURL.path
        return self.publicOrigin + "/.well-known/oauth-protected-resource" + (path == "/" ? "" : path)
    }

    /// Whether the public URL is a loopback address, so only this machine can reach the server.
    public var isLoopback: Bool { Loopback.isLoopback(self.publicURL.host ?? "") }

    /// Whether clients reach the server over TLS, so cookies must be `Secure`.
    public var isHTTPS: Bool { self.publicURL.scheme == "https" }

    static func defaultPublicURL(host: String, port: Int) -> URL {
        let name =
            switch host {
            case "0.0.0.0", "::", "": "localhost"
            case let ipv6 where ipv6.contains(":"): "[\(ipv6)]"
            default: host
            }
        return URL(string: "http://\(name):\(port)")!
    }

    static func withoutTrailingSlash(_ url: URL) -> URL {
        var text = url.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text) ?? url
    }
}
