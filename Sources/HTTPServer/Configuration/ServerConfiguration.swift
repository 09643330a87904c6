public import Foundation
public import Logging

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

    /// - Parameter publicURL: defaults to `http://HOST:PORT` (with `localhost` for a wildcard host).
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        publicURL: URL? = nil,
        databasePath: String = "./data/todo.sqlite",
        logLevel: Logger.Level = .info
    ) {
        self.host = host
        self.port = port
        self.publicURL = publicURL.map(Self.withoutTrailingSlash) ?? Self.defaultPublicURL(host: host, port: port)
        self.databasePath = databasePath
        self.logLevel = logLevel
    }

    /// The MCP endpoint as clients type it: the public URL itself.
    public var mcpURL: String { self.publicURL.absoluteString }

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
