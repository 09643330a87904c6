import Configuration
import Foundation
import Logging
import MailDelivery
import Testing

@testable import HTTPServer

@Suite("Configuration")
struct ConfigurationTests {
    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> ServerConfiguration {
        try ServerConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }

    @Test func defaultsAreSafeForLocalUse() throws {
        let configuration = try self.configuration([:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.publicURL.absoluteString == "http://127.0.0.1:8080")
        #expect(configuration.databasePath == "./data/todo.sqlite")
        #expect(configuration.logLevel == .info)
        #expect(!configuration.isHTTPS)
    }

    @Test func readsEveryVariable() throws {
        let configuration = try self.configuration([
            "HOST": "0.0.0.0", "PORT": "9000", "PUBLIC_URL": "https://todo.example.com/",
            "DATABASE_PATH": "/var/lib/todo/db.sqlite", "LOG_LEVEL": "DEBUG", "DEMO_MODE": "true",
        ])
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.mcpURL == "https://todo.example.com")
        #expect(configuration.databasePath == "/var/lib/todo/db.sqlite")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.isHTTPS)
    }

    @Test func readsTheMCPLimits() throws {
        let configuration = try self.configuration([
            "ALLOWED_ORIGINS": "http://localhost:6274, https://inspector.example.com",
            "MAX_REQUEST_BYTES": "2048",
            "SESSION_IDLE_TIMEOUT": "3600",
        ])
        #expect(configuration.allowedOrigins == ["http://localhost:6274", "https://inspector.example.com"])
        #expect(configuration.maxRequestBytes == 2_048)
        #expect(configuration.sessionIdleTimeout == 3_600)
        let defaults = try self.configuration([:])
        #expect(defaults.allowedOrigins.isEmpty && defaults.maxRequestBytes == 1_048_576 && defaults.sessionIdleTimeout == 86_400)
    }

    @Test func metadataURLsFollowThePublicURL() throws {
        let root = try self.configuration(["PUBLIC_URL": "https://todo.example.com", "DEMO_MODE": "true"])
        #expect(root.publicOrigin == "https://todo.example.com")
        #expect(root.resourceMetadataURL == "https://todo.example.com/.well-known/oauth-protected-resource")
        let prefixed = try self.configuration(["PUBLIC_URL": "https://example.com:8443/todo/", "DEMO_MODE": "true"])
        #expect(prefixed.mcpURL == "https://example.com:8443/todo")
        #expect(prefixed.publicOrigin == "https://example.com:8443")
        #expect(prefixed.resourceMetadataURL == "https://example.com:8443/.well-known/oauth-protected-resource/todo")
    }

    @Test("Demo mode is on by default only at a loopback URL; a public URL needs a relay or DEMO_MODE=true, and says so in one line")
    func safeDefaults() throws {
        #expect(try self.configuration([:]).demoMode)
        #expect(try self.configuration(["PUBLIC_URL": "http://localhost:9000"]).demoMode)
        let error = #expect(throws: ConfigurationError.self) { try self.configuration(["PUBLIC_URL": "https://todo.example.com"]) }
        #expect(error?.variable == "SMTP_HOST")
        #expect(error?.description.contains("DEMO_MODE=true") == true && error?.description.contains("\n") == false)
        #expect(try self.configuration(["PUBLIC_URL": "https://todo.example.com", "DEMO_MODE": "true"]).demoMode)
        #expect(throws: ConfigurationError.self) { try self.configuration(["DEMO_MODE": "false"]) }

        let relay = try self.configuration([
            "PUBLIC_URL": "https://todo.example.com", "SMTP_HOST": "smtp.example.com", "MAIL_FROM": "login@todo.example.com",
            "SMTP_USERNAME": "login", "SMTP_PASSWORD": "\"s3cret\"",
        ])
        #expect(!relay.demoMode)
        #expect(relay.smtp == MsmtpSender.Settings(host: "smtp.example.com", port: 587, security: .starttls, username: "login", password: "s3cret", from: "login@todo.example.com"))
        let local = try self.configuration(["SMTP_HOST": "127.0.0.1", "SMTP_SECURITY": "none", "MAIL_FROM": "a@localhost.test"])
        #expect(!local.demoMode, "a relay turns demo mode off by default, also on this machine")
        #expect(local.smtp?.port == 25)
        #expect(try self.configuration(["SMTP_HOST": "smtp.example.com", "SMTP_SECURITY": "TLS", "MAIL_FROM": "a@b.example"]).smtp?.port == 465)
    }

    @Test(
        "Relay settings that cannot work stop start-up, and no password is ever printed",
        arguments: [
            (["SMTP_HOST": "smtp.example.com", "SMTP_SECURITY": "none", "MAIL_FROM": "a@b.example"], "SMTP_SECURITY"),
            (["SMTP_HOST": "smtp.example.com", "SMTP_SECURITY": "ssl3", "MAIL_FROM": "a@b.example"], "SMTP_SECURITY"),
            (["SMTP_HOST": "smtp.example.com"], "MAIL_FROM"),
            (["SMTP_HOST": "smtp.example.com", "MAIL_FROM": "not an address"], "MAIL_FROM"),
            (["SMTP_HOST": "smtp.example.com", "MAIL_FROM": "a@b.example", "SMTP_PASSWORD": "hunter2"], "SMTP_USERNAME"),
            (["SMTP_HOST": "smtp.example.com", "MAIL_FROM": "a@b.example", "SMTP_PORT": "70000", "SMTP_PASSWORD": "hunter2", "SMTP_USERNAME": "u"], "SMTP_PORT"),
            (["SMTP_HOST": "smtp.example.com", "MAIL_FROM": "a@b.example", "SMTP_CA_FILE": "/no/such/ca.pem"], "SMTP_CA_FILE"),
            (["SMTP_HOST": "smtp example.com", "MAIL_FROM": "a@b.example"], "SMTP_HOST"),
        ] as [([String: String], String)]
    )
    func badRelaySettings(_ environment: [String: String], _ variable: String) {
        let error = #expect(throws: ConfigurationError.self) { try self.configuration(environment) }
        #expect(error?.variable == variable)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func theDefaultPublicURLFollowsHostAndPort() throws {
        #expect(try self.configuration(["HOST": "0.0.0.0", "PORT": "9000"]).mcpURL == "http://localhost:9000")
        #expect(try self.configuration(["HOST": "::1"]).mcpURL == "http://[::1]:8080")
    }

    @Test func quotedValuesAreUnquoted() throws {
        let configuration = try self.configuration(["PORT": "\"9001\"", "PUBLIC_URL": "'https://a.example'", "DATABASE_PATH": "\"./x.sqlite\"", "DEMO_MODE": "'true'"])
        #expect(configuration.port == 9001)
        #expect(configuration.mcpURL == "https://a.example")
        #expect(configuration.databasePath == "./x.sqlite")
    }

    @Test(arguments: [
        ("PORT", "abc"), ("PORT", "0"), ("PORT", "65536"), ("PORT", "-1"), ("PORT", ""), ("PORT", "80.5"),
        ("PUBLIC_URL", "todo.example.com"), ("PUBLIC_URL", "ftp://todo.example.com"), ("PUBLIC_URL", "https://"),
        ("PUBLIC_URL", "https://todo.example.com/?x=1"), ("PUBLIC_URL", "https://todo.example.com/#top"),
        ("PUBLIC_URL", "https://user:pw@todo.example.com"), ("PUBLIC_URL", ""),
        ("LOG_LEVEL", "loud"), ("LOG_LEVEL", ""), ("HOST", ""), ("HOST", "my host"), ("DATABASE_PATH", ""),
        ("ALLOWED_ORIGINS", "localhost:6274"), ("ALLOWED_ORIGINS", "http://ok.example, https://x.example/path"),
        ("MAX_REQUEST_BYTES", "1mb"), ("MAX_REQUEST_BYTES", "10"), ("SESSION_IDLE_TIMEOUT", "-5"), ("SESSION_IDLE_TIMEOUT", "forever"),
    ])
    func malformedValuesNameTheVariable(_ variable: String, _ value: String) {
        let error = #expect(throws: ConfigurationError.self) { try self.configuration([variable: value]) }
        #expect(error?.variable == variable)
        #expect(error?.description.hasPrefix("\(variable) must be ") == true)
        #expect(error?.description.contains("\n") == false, "one line")
    }

    @Test func readsDotEnvFilesAfterTheEnvironment() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = folder.appendingPathComponent("first.env").path
        let second = folder.appendingPathComponent("second.env").path
        try "# comment\nPORT=\"9100\"\nLOG_LEVEL=warning\n".write(toFile: first, atomically: true, encoding: .utf8)
        try "PORT=9200\nHOST=0.0.0.0\n".write(toFile: second, atomically: true, encoding: .utf8)

        let configuration = try await ServerConfiguration.load(
            environment: ["LOG_LEVEL": "error"],
            environmentFiles: [first, folder.appendingPathComponent("missing.env").path, second]
        )
        #expect(configuration.logLevel == .error, "the environment wins over the files")
        #expect(configuration.port == 9100, "the first file wins over the second")
        #expect(configuration.host == "0.0.0.0")
    }

    @Test func aMalformedValueInAFileIsReported() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "PORT=eighty\n".write(toFile: file, atomically: true, encoding: .utf8)
        await #expect(throws: ConfigurationError(variable: "PORT", expected: "a whole number from 1 to 65535", found: "eighty")) {
            try await ServerConfiguration.load(environment: [:], environmentFiles: [file])
        }
    }
}
