public import Foundation
import NIOSSL
public import PostgresNIO

/// Where a PostgreSQL database is and how to reach it, read from a `postgres://` (or
/// `postgresql://`) URL as libpq writes them:
///
/// ```
/// postgres://todo:secret@db.internal:5432/todo?sslmode=verify-full
/// postgresql://todo@/todo?host=/var/run/postgresql          (a Unix socket in that folder)
/// ```
///
/// `sslmode` is `disable`, `prefer` (the default: TLS when the server offers it), `require` (TLS,
/// certificate not checked), `verify-ca` (the certificate chains to a trusted root) or
/// `verify-full` (and names the host). User, password and database name may be percent-encoded.
public struct PostgresSettings: Hashable, Sendable, CustomStringConvertible {
    /// How TLS is used, as libpq's `sslmode` names it.
    public enum TLSMode: String, Hashable, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// The host name or address; `nil` when a Unix socket is used.
    public var host: String?
    /// The TCP port.
    public var port: Int
    /// The folder of the server's Unix socket (`?host=/path`); the socket is `.s.PGSQL.<port>` in it.
    public var socketFolder: String?
    /// The role to sign in as.
    public var username: String
    /// Its password, if the server asks for one.
    public var password: String?
    /// The database.
    public var database: String
    /// How TLS is used.
    public var tlsMode: TLSMode

    /// Reads `url`.
    /// - Throws: ``PostgresURLError`` naming what is wrong, never echoing the password.
    public init(url: String) throws(PostgresURLError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw PostgresURLError("expected a URL of the form postgres://user:password@host:port/database")
        }
        let query = components.queryItems ?? []
        func parameter(_ name: String) -> String? { query.last { $0.name == name }?.value }
        for item in query where !["sslmode", "host", "port", "user", "password", "dbname", "application_name", "connect_timeout"].contains(item.name)
        {
            throw PostgresURLError("unknown parameter \(item.name)")
        }
        // An IPv6 literal comes in brackets ([::1]), which the client must not see.
        let host = components.percentEncodedHost.flatMap { encoded -> String? in
            let bare = encoded.hasPrefix("[") && encoded.hasSuffix("]") ? String(encoded.dropFirst().dropLast()) : encoded
            return bare.isEmpty ? nil : bare.removingPercentEncoding
        }
        let hostParameter = parameter("host")
        if let hostParameter, hostParameter.hasPrefix("/") {
            self.socketFolder = hostParameter
            self.host = nil
        } else {
            self.socketFolder = nil
            self.host = hostParameter ?? host ?? "localhost"
        }
        if let portText = parameter("port") ?? components.port.map(String.init) {
            guard let port = Int(portText), (1...65_535).contains(port) else { throw PostgresURLError("the port must be 1 to 65535") }
            self.port = port
        } else {
            self.port = 5432
        }
        // Decoded once: a password may hold a `%` (written `%25`).
        guard let user = parameter("user") ?? components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw PostgresURLError("a user name is needed (postgres://user@host/database)")
        }
        self.username = user
        self.password = parameter("password") ?? components.percentEncodedPassword?.removingPercentEncoding
        let path = String(components.percentEncodedPath.drop { $0 == "/" }).removingPercentEncoding ?? ""
        guard let database = parameter("dbname") ?? (path.isEmpty ? nil : path), !database.contains("/") else {
            throw PostgresURLError("a database name is needed (postgres://user@host/database)")
        }
        self.database = database
        let mode = parameter("sslmode") ?? TLSMode.prefer.rawValue
        guard let tlsMode = TLSMode(rawValue: mode) else {
            throw PostgresURLError("sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), not \(mode)")
        }
        guard self.socketFolder == nil || tlsMode == .disable || tlsMode == .prefer else {
            throw PostgresURLError("a Unix socket takes no TLS: use sslmode=disable")
        }
        self.tlsMode = tlsMode
    }

    /// The settings as ``redacted`` shows them, so that interpolating them never prints the password.
    public var description: String { self.redacted }

    /// The URL again, with the password hidden: for logs and messages.
    public var redacted: String {
        let target = self.socketFolder.map { "/\(self.database)?host=\($0)" } ?? "\(self.host ?? ""):\(self.port)/\(self.database)"
        return "postgres://\(self.username)\(self.password == nil ? "" : ":***")@\(target)"
    }

    /// The client configuration, with at most `maximumConnections` connections to the server.
    func clientConfiguration(maximumConnections: Int) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let folder = self.socketFolder {
            configuration = PostgresClient.Configuration(
                unixSocketPath: folder + "/.s.PGSQL.\(self.port)",
                username: self.username,
                password: self.password,
                database: self.database
            )
        } else {
            configuration = PostgresClient.Configuration(
                host: self.host ?? "localhost",
                port: self.port,
                username: self.username,
                password: self.password,
                database: self.database,
                tls: self.tls
            )
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    private var tls: PostgresClient.Configuration.TLS {
        var context = TLSConfiguration.makeClientConfiguration()
        switch self.tlsMode {
        case .disable: return .disable
        case .prefer:
            context.certificateVerification = .none
            return .prefer(context)
        case .require:
            context.certificateVerification = .none
            return .require(context)
        case .verifyCA:
            context.certificateVerification = .noHostnameVerification
            return .require(context)
        case .verifyFull:
            context.certificateVerification = .fullVerification
            return .require(context)
        }
    }
}

/// A `DATABASE_URL` that is not a usable PostgreSQL URL.
public struct PostgresURLError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public var description: String

    init(_ description: String) { self.description = description }
}
