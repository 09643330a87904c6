import EndpointCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import OAuthTestSupport
import EndpointTestSupport
import Testing

@testable import HTTPServer

/// Keeps every log line, with its metadata, for tests to read.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { self.lines.withLock { $0.joined(separator: "\n") } }

    func logger() -> Logger {
        var logger = Logger(label: "test") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
            self.log.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
        }
    }
}

@Suite("Request log")
struct RequestLogTests {
    @Test("One line per request with its id, and no token, code or e-mail address in clear")
    func secretsStayOutOfTheLog() async throws {
        let fixture = try OAuthFixture()
        let log = CapturedLog()
        let app = try await buildApplication(
            fixture.configuration,
            dependencies: AppDependencies(now: fixture.clock.now, database: fixture.database),
            logger: log.logger()
        )
        try await app.test(.router) { client in
            let query =
                "access_token=at1.SECRETTOKEN&code=SECRETCODE&email=ada%40example.com&response_type=code&refresh_token=rt1_SECRET&x=bob@example.com&accessToken=CAMEL"
            let requestID = try await client.execute(uri: "/health?" + query, method: .get) { $0.headers[HTTPField.Name("X-Request-Id")!] }
            let browser = ScriptedClient(client)
            let codePage = try await browser.codePage(email: "ada@example.com")
            _ = try await browser.submit(codePage, [("code", try #require(codePage.demoCode))])
            let text = log.text
            for secret in [
                "SECRETTOKEN", "SECRETCODE", "rt1_SECRET", "ada@example.com", "ada%40example.com", "bob@example.com", "CAMEL",
                try #require(codePage.demoCode),
            ] {
                #expect(!text.contains(secret), "\(secret) is in the log")
            }
            #expect(text.contains("response_type=code"), "harmless parameters stay readable")
            #expect(text.contains("GET /health?"))
            #expect(text.contains(try #require(requestID)), "the line carries the request id")
        }
    }

    @Test("The line names the client's address: behind a trusted proxy the forwarded one, else the peer's")
    func clientAddress() async throws {
        for (trusted, expected) in [(["127.0.0.1"], "203.0.113.7"), ([], "127.0.0.1")] {
            var fixture = try OAuthFixture()
            fixture.configuration.trustedProxies = trusted
            let log = CapturedLog()
            let app = try await buildApplication(
                fixture.configuration,
                dependencies: AppDependencies(now: fixture.clock.now, database: fixture.database),
                logger: log.logger()
            )
            try await app.test(.live) { client in
                _ = try await client.execute(uri: "/health", method: .get, headers: [.xForwardedFor: "203.0.113.7"]) { $0.status }
            }
            #expect(log.text.contains(#""client.address": \#(expected)"#), "trusted \(trusted)")
        }
    }

    @Test func redaction() {
        #expect(LogRedaction.query("scope=a&Access_Token=x&b") == "scope=a&Access_Token=[redacted]&b")
        #expect(LogRedaction.query("acc%65ss_token=x&client_id=c_1") == "[redacted]&client_id=c_1")
        #expect(LogRedaction.query("client_id=a%40b.c&limit=2") == "client_id=[redacted]&limit=2")
        #expect(LogRedaction.query("x@y=1&é=2") == "[redacted]&[redacted]")
    }
}
