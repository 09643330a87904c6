public import Configuration
import Foundation
import Logging

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
    /// Reads the configuration.
    ///
    /// Keys (environment variable in brackets):
    /// - `host` (`HOST`): the address to listen on, default `127.0.0.1`.
    /// - `port` (`PORT`): 1–65535, default `8080`.
    /// - `public.url` (`PUBLIC_URL`): an absolute `http` or `https` URL without query or fragment,
    ///   default `http://HOST:PORT`.
    /// - `database.path` (`DATABASE_PATH`): the SQLite file, default `./data/todo.sqlite`.
    /// - `log.level` (`LOG_LEVEL`): `trace`, `debug`, `info`, `notice`, `warning`, `error` or
    ///   `critical`, default `info`.
    ///
    /// - Throws: ``ConfigurationError`` for the first malformed value.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        let host = reader.string(forKey: "host") ?? "127.0.0.1"
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            throw ConfigurationError(variable: "HOST", expected: "an IP address or host name to listen on", found: host)
        }

        var port = 8080
        if let text = reader.string(forKey: "port") {
            guard let value = Int(text), (1...65535).contains(value) else {
                throw ConfigurationError(variable: "PORT", expected: "a whole number from 1 to 65535", found: text)
            }
            port = value
        }

        var publicURL: URL?
        if let text = reader.string(forKey: "public.url") {
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

        let databasePath = reader.string(forKey: "database.path") ?? "./data/todo.sqlite"
        guard !databasePath.isEmpty else {
            throw ConfigurationError(variable: "DATABASE_PATH", expected: "a file path or :memory:", found: databasePath)
        }

        var logLevel = Logger.Level.info
        if let text = reader.string(forKey: "log.level") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(variable: "LOG_LEVEL", expected: "one of \(levels)", found: text)
            }
            logLevel = level
        }

        self.init(host: host, port: port, publicURL: publicURL, databasePath: databasePath, logLevel: logLevel)
    }
}
