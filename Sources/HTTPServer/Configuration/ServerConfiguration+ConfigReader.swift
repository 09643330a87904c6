public import Configuration
import EndpointCore
import Foundation
import Logging
import MailDelivery
import OAuthKit
import Storage
import SystemPackage

/// A setting that is present but unusable. Start-up stops with ``description``, one line that names
/// the variable and what it expects.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The environment variable at fault.
    public let variable: String
    /// What the variable must hold.
    public let expected: String
    /// The value found, if it may be printed.
    public let found: String

    public var description: String { "\(self.variable) must be \(self.expected); got '\(self.found)'." }
}

extension ServerConfiguration {
    /// Reads the configuration from `environment` (by default the process's) and then from `.env` files, the
    /// environment winning, then the files in the order given. Missing files are skipped.
    ///
    /// - Throws: ``ConfigurationError`` for a malformed value, or the reader's error for a malformed file.
    public static func load(
        environment: [String: String]? = nil,
        environmentFiles: [String]
    ) async throws -> ServerConfiguration {
        let environment = environment ?? ProcessInfo.processInfo.environment
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider(environmentVariables: environment)]
        for file in environmentFiles {
            providers.append(try await EnvironmentVariablesProvider(environmentFilePath: FilePath(file), allowMissing: true))
        }
        return try ServerConfiguration(reader: ConfigReader(providers: providers))
    }

    /// Reads the configuration.
    ///
    /// Keys (environment variable in brackets):
    /// - `host` (`HOST`): the address to listen on, default `127.0.0.1`.
    /// - `port` (`PORT`): 1–65535, default `8080`.
    /// - `public.url` (`PUBLIC_URL`): an absolute `http` or `https` URL without query or fragment,
    ///   default `http://HOST:PORT`.
    /// - `database.path` (`DATABASE_PATH`): the SQLite file, default `./data/todo.sqlite`.
    /// - `database.url` (`DATABASE_URL`): a `postgres://` URL (see ``PostgresSettings``) to keep
    ///   everything in PostgreSQL instead, shared by several instances; unset means SQLite.
    /// - `database.max.connections` (`DATABASE_MAX_CONNECTIONS`): the most connections this instance
    ///   opens to PostgreSQL, 2–1000, default 20 (one of them listens for the other instances' events).
    /// - `shutdown.timeout` (`SHUTDOWN_TIMEOUT`): seconds a graceful shutdown (SIGTERM, SIGINT) waits
    ///   for requests in flight before cancelling them, default 25; a second signal exits at once.
    /// - `rate.limit.*` (`RATE_LIMIT_*`): see ``RateLimitSettings``.
    /// - `log.format` (`LOG_FORMAT`): `text` (the default) or `json`, one JSON object per line.
    /// - `log.level` (`LOG_LEVEL`): `trace`, `debug`, `info`, `notice`, `warning`, `error` or
    ///   `critical`, default `info`.
    /// - `allowed.origins` (`ALLOWED_ORIGINS`): comma-separated origins such as
    ///   `http://localhost:6274` whose browser requests the MCP endpoint accepts besides the public
    ///   URL's, default none.
    /// - `max.request.bytes` (`MAX_REQUEST_BYTES`): the largest MCP request body, default 1048576.
    /// - `session.idle.timeout` (`SESSION_IDLE_TIMEOUT`): seconds a legacy MCP session lives
    ///   unused, default 86400.
    /// - `demo.mode` (`DEMO_MODE`): `true` shows login codes on the page instead of e-mailing them
    ///   (anyone can then sign in as anyone). Default: `true` only when the public URL is a loopback
    ///   address and no relay is configured; otherwise `SMTP_HOST` is required.
    /// - `smtp.host` (`SMTP_HOST`), `smtp.port` (`SMTP_PORT`, default 587, 465 for `tls`, 25 for
    ///   `none`), `smtp.security` (`SMTP_SECURITY`: `starttls` (default, required to be offered),
    ///   `tls`, or `none` for a relay on this machine only), `smtp.username` (`SMTP_USERNAME`),
    ///   `smtp.password` (`SMTP_PASSWORD`), `mail.from` (`MAIL_FROM`, required with a relay) and
    ///   `smtp.ca.file` (`SMTP_CA_FILE`: the certificate authorities to trust instead of the
    ///   system's, for private relays and tests): the relay login codes are sent through.
    /// - `trusted.proxies` (`TRUSTED_PROXIES`): comma-separated IP addresses of reverse proxies
    ///   whose `X-Forwarded-For` is believed, default none.
    /// - `metrics.token` (`METRICS_TOKEN`): the bearer secret `GET /metrics` asks for (16 or more
    ///   printable characters); without it, only loopback clients may read the metrics.
    /// - `token.signing.keys` (`TOKEN_SIGNING_KEYS`): comma-separated `id:base64secret` pairs
    ///   (secrets of at least 32 bytes), oldest first; the last one signs. Default: a key generated
    ///   once and kept in the database.
    /// - `access.token.ttl` (`ACCESS_TOKEN_TTL`): seconds, default 3600.
    /// - `refresh.token.ttl` (`REFRESH_TOKEN_TTL`): seconds, default 2592000 (30 days).
    /// - `client.metadata.allow.loopback` (`CLIENT_METADATA_ALLOW_LOOPBACK`): `true` lets Client ID
    ///   Metadata Documents come from loopback addresses over http; for tests only. Default `false`.
    ///
    /// - `max.todos.per.user` (`MAX_TODOS_PER_USER`): the most todos one user may keep, default 10000.
    /// - `max.sessions.per.user` (`MAX_SESSIONS_PER_USER`): the most legacy MCP sessions one user may
    ///   hold (a new one ends the least recently used), default 100.
    /// - `idle.timeout` (`IDLE_TIMEOUT`): seconds a connection may stay open without a request in
    ///   progress, default 30.
    /// - `read.timeout` (`READ_TIMEOUT`): seconds a request's head and body may take to arrive,
    ///   default 30.
    ///
    /// Values may be written with or without surrounding quotes, as `.env` files often have them.
    ///
    /// - Throws: ``ConfigurationError`` for the first malformed value.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        let host = reader.setting("host") ?? "127.0.0.1"
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            throw ConfigurationError(variable: "HOST", expected: "an IP address or host name to listen on", found: host)
        }

        var port = 8080
        if let text = reader.setting("port") {
            guard let value = Int(text), (1...65535).contains(value) else {
                throw ConfigurationError(variable: "PORT", expected: "a whole number from 1 to 65535", found: text)
            }
            port = value
        }

        var publicURL: URL?
        if let text = reader.setting("public.url") {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let urlHost = url.host, !urlHost.isEmpty, url.query == nil, url.fragment == nil, url.user == nil
            else {
                throw ConfigurationError(
                    variable: "PUBLIC_URL",
                    expected: "an absolute http or https URL without query or fragment, such as https://todo.example.com",
                    found: text
                )
            }
            publicURL = url
        }

        let databasePath = reader.setting("database.path") ?? "./data/todo.sqlite"
        guard !databasePath.isEmpty else {
            throw ConfigurationError(variable: "DATABASE_PATH", expected: "a file path or :memory:", found: databasePath)
        }

        var logLevel = Logger.Level.info
        if let text = reader.setting("log.level") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(variable: "LOG_LEVEL", expected: "one of \(levels)", found: text)
            }
            logLevel = level
        }

        var logFormat = LogFormat.text
        if let text = reader.setting("log.format") {
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw ConfigurationError(variable: "LOG_FORMAT", expected: "text or json", found: text)
            }
            logFormat = format
        }

        var allowedOrigins: [String] = []
        if let text = reader.setting("allowed.origins") {
            for origin in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !origin.isEmpty {
                guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()),
                    url.host != nil, url.path.isEmpty || url.path == "/", url.query == nil
                else {
                    throw ConfigurationError(
                        variable: "ALLOWED_ORIGINS",
                        expected: "comma-separated origins such as http://localhost:6274 (scheme, host and port only)",
                        found: origin
                    )
                }
                allowedOrigins.append(origin)
            }
        }

        let maxRequestBytes = try reader.positiveInteger(
            "max.request.bytes",
            variable: "MAX_REQUEST_BYTES",
            default: 1 << 20,
            range: 1_024...(64 << 20)
        )
        let sessionIdleTimeout = try reader.positiveInteger(
            "session.idle.timeout",
            variable: "SESSION_IDLE_TIMEOUT",
            default: 86_400,
            range: 60...(365 * 86_400)
        )

        let smtp = try reader.smtpSettings()
        let publicHost = publicURL?.host ?? Self.defaultPublicURL(host: host, port: port).host ?? host
        // Demo mode shows every code on the page: anyone could sign in as anyone. Only on by
        // default where only this machine can reach the server and no relay is configured.
        let demoMode = try reader.flag("demo.mode", variable: "DEMO_MODE", default: Loopback.isLoopback(publicHost) && smtp == nil)
        if !demoMode && smtp == nil {
            throw ConfigurationError(
                variable: "SMTP_HOST",
                expected: "set so that login codes can be e-mailed (or set DEMO_MODE=true to show codes on the page, for trying the server out only)",
                found: ""
            )
        }
        let clientMetadataAllowLoopback = try reader.flag(
            "client.metadata.allow.loopback",
            variable: "CLIENT_METADATA_ALLOW_LOOPBACK",
            default: false
        )

        var trustedProxies: [String] = []
        for address in (reader.setting("trusted.proxies") ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !address.isEmpty {
            guard address.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else {
                throw ConfigurationError(variable: "TRUSTED_PROXIES", expected: "comma-separated IP addresses such as 127.0.0.1", found: address)
            }
            trustedProxies.append(address)
        }

        var signingKeys: [SigningKey] = []
        for entry in (reader.setting("token.signing.keys") ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !entry.isEmpty {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let secret = Data(base64Encoded: parts[1]), secret.count >= 32 else {
                throw ConfigurationError(
                    variable: "TOKEN_SIGNING_KEYS",
                    expected: "comma-separated id:secret pairs with base64 secrets of at least 32 bytes (openssl rand -base64 32)",
                    found: parts.first.map { "\($0):…" } ?? "…"
                )
            }
            signingKeys.append(SigningKey(id: parts[0], secret: Array(secret), createdAt: Date(timeIntervalSince1970: 0)))
        }

        let accessTokenLifetime = try reader.positiveInteger("access.token.ttl", variable: "ACCESS_TOKEN_TTL", default: 3600, range: 60...86_400)
        let refreshTokenLifetime = try reader.positiveInteger(
            "refresh.token.ttl",
            variable: "REFRESH_TOKEN_TTL",
            default: 30 * 86_400,
            range: 3600...(365 * 86_400)
        )

        let maxTodosPerUser = try reader.positiveInteger(
            "max.todos.per.user",
            variable: "MAX_TODOS_PER_USER",
            default: 10_000,
            range: 1...10_000_000
        )
        let maxSessionsPerUser = try reader.positiveInteger(
            "max.sessions.per.user",
            variable: "MAX_SESSIONS_PER_USER",
            default: 100,
            range: 1...100_000
        )
        let idleTimeout = try reader.positiveInteger("idle.timeout", variable: "IDLE_TIMEOUT", default: 30, range: 1...3600)
        let readTimeout = try reader.positiveInteger("read.timeout", variable: "READ_TIMEOUT", default: 30, range: 1...3600)
        let metricsToken = reader.setting("metrics.token").flatMap { $0.isEmpty ? nil : $0 }
        if let metricsToken, metricsToken.utf8.count < 16 || !metricsToken.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            throw ConfigurationError(
                variable: "METRICS_TOKEN",
                expected: "at least 16 printable characters without spaces (openssl rand -hex 16)",
                found: "\(metricsToken.utf8.count) characters"
            )
        }

        self.init(
            host: host,
            port: port,
            publicURL: publicURL,
            databasePath: databasePath,
            logLevel: logLevel,
            allowedOrigins: allowedOrigins,
            maxRequestBytes: maxRequestBytes,
            sessionIdleTimeout: TimeInterval(sessionIdleTimeout),
            demoMode: demoMode,
            smtp: smtp,
            trustedProxies: trustedProxies,
            signingKeys: signingKeys,
            accessTokenLifetime: TimeInterval(accessTokenLifetime),
            refreshTokenLifetime: TimeInterval(refreshTokenLifetime),
            clientMetadataAllowLoopback: clientMetadataAllowLoopback,
            maxTodosPerUser: maxTodosPerUser,
            maxSessionsPerUser: maxSessionsPerUser,
            idleTimeout: TimeInterval(idleTimeout),
            readTimeout: TimeInterval(readTimeout),
            metricsToken: metricsToken
        )
        self.logFormat = logFormat
        self.rateLimits = try RateLimitSettings.read { reader.setting(ConfigKey($0)) }
        self.maxStreamsPerUser = try reader.positiveInteger(
            "max.streams.per.user",
            variable: "MAX_STREAMS_PER_USER",
            default: 10,
            range: 1...100_000
        )
        self.streamKeepAlive = TimeInterval(
            try reader.positiveInteger("stream.keepalive", variable: "STREAM_KEEPALIVE", default: 15, range: 1...3600)
        )
        self.shutdownTimeout = TimeInterval(
            try reader.positiveInteger("shutdown.timeout", variable: "SHUTDOWN_TIMEOUT", default: 25, range: 1...600)
        )
        if let url = reader.setting("database.url"), !url.isEmpty {
            do {
                self.postgres = try PostgresSettings(url: url)
            } catch {
                // The message names the part that is wrong and never repeats the URL, which may hold a password.
                throw ConfigurationError(variable: "DATABASE_URL", expected: "a PostgreSQL URL: \(error.description)", found: "(not shown)")
            }
        }
        self.databaseMaxConnections = try reader.positiveInteger(
            "database.max.connections",
            variable: "DATABASE_MAX_CONNECTIONS",
            default: 20,
            range: 2...1_000
        )
    }
}

extension ConfigReader {
    /// The mail relay from `SMTP_HOST`, `SMTP_PORT`, `SMTP_SECURITY`, `SMTP_USERNAME`,
    /// `SMTP_PASSWORD`, `MAIL_FROM` and `SMTP_CA_FILE`; `nil` without `SMTP_HOST`. The password is
    /// never printed, not even in an error.
    fileprivate func smtpSettings() throws(ConfigurationError) -> MsmtpSender.Settings? {
        guard let host = self.setting("smtp.host"), !host.isEmpty else { return nil }
        guard !host.contains(where: { $0.isWhitespace || $0 == "/" }) else {
            throw ConfigurationError(variable: "SMTP_HOST", expected: "a host name or IP address", found: host)
        }
        var security = MsmtpSender.Security.starttls
        if let text = self.setting("smtp.security") {
            guard let value = MsmtpSender.Security(rawValue: text.lowercased()) else {
                throw ConfigurationError(variable: "SMTP_SECURITY", expected: "starttls, tls or none", found: text)
            }
            security = value
        }
        if security == .none, !Loopback.isLoopback(host) {
            throw ConfigurationError(variable: "SMTP_SECURITY", expected: "starttls or tls for a relay that is not on this machine", found: "none")
        }
        let port = try self.positiveInteger(
            "smtp.port",
            variable: "SMTP_PORT",
            default: security == .tls ? 465 : security == .starttls ? 587 : 25,
            range: 1...65535
        )
        guard let from = self.setting("mail.from"), EmailMessage.address(from) == from, from.split(separator: "@").count == 2 else {
            throw ConfigurationError(
                variable: "MAIL_FROM",
                expected: "the sender's e-mail address, such as login@todo.example.com, when SMTP_HOST is set",
                found: self.setting("mail.from") ?? ""
            )
        }
        let username = self.setting("smtp.username").flatMap { $0.isEmpty ? nil : $0 }
        let password = self.setting("smtp.password").flatMap { $0.isEmpty ? nil : $0 }
        if password != nil, username == nil {
            throw ConfigurationError(variable: "SMTP_USERNAME", expected: "set when SMTP_PASSWORD is", found: "")
        }
        let caFile = self.setting("smtp.ca.file").flatMap { $0.isEmpty ? nil : $0 }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ConfigurationError(variable: "SMTP_CA_FILE", expected: "a readable PEM file of certificate authorities", found: caFile)
        }
        return MsmtpSender.Settings(host: host, port: port, security: security, username: username, password: password, from: from, caFile: caFile)
    }

    /// The boolean at `key` (`true`/`false`, `1`/`0`, `yes`/`no`), or `defaultValue` when absent.
    fileprivate func flag(_ key: ConfigKey, variable: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let text = self.setting(key) else { return defaultValue }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ConfigurationError(variable: variable, expected: "true or false", found: text)
        }
    }

    /// The whole number at `key` within `range`, or `defaultValue` when absent.
    fileprivate func positiveInteger(
        _ key: ConfigKey,
        variable: String,
        default defaultValue: Int,
        range: ClosedRange<Int>
    ) throws(ConfigurationError) -> Int {
        guard let text = self.setting(key) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                variable: variable,
                expected: "a whole number from \(range.lowerBound) to \(range.upperBound)",
                found: text
            )
        }
        return value
    }

    /// The string at `key`, without surrounding white space or one pair of matching quotes
    /// (a `.env` reader keeps them literally); `nil` when absent.
    fileprivate func setting(_ key: ConfigKey) -> String? {
        guard var value = self.string(forKey: key)?.trimmingCharacters(in: .whitespaces) else { return nil }
        if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
            value = String(value.dropFirst().dropLast())
        }
        return value
    }
}
