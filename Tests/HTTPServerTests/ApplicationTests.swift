import EndpointCore
import EndpointTestSupport
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailDelivery
import OAuthKit
import OAuthTestSupport
import Storage
import Testing

@testable import HTTPServer

@Suite("Application")
struct ApplicationTests {
    let configuration = ServerConfiguration(publicURL: URL(string: "https://todo.example.com"), databasePath: ":memory:")

    @Test func healthChecksTheDatabase() async throws {
        let app = try await buildApplication(self.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(response.headers[.cacheControl] == "no-store")
                let body = try JSONDecoder().decode([String: String].self, from: Data(String(buffer: response.body).utf8))
                #expect(body == ["status": "ok", "database": "ok"])
            }
        }
    }

    @Test("Through the router, the endpoints decide wrong methods (405 with Allow) and take paths as the router does")
    func mountedEndpointsAnswerEveryMethod() async throws {
        let app = try await buildApplication(self.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/oauth/token", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST, OPTIONS")
            }
            try await client.execute(uri: "/", method: .put, headers: [.authorization: "Bearer x"]) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, POST, DELETE, OPTIONS")
            }
            try await client.execute(uri: "/.well-known/oauth-authorization-server/", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(
                uri: "/oauth/token/",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "grant_type=password")
            ) { response in
                #expect(response.status == .badRequest, "a trailing slash reaches the same endpoint")
                #expect(String(buffer: response.body).contains("unsupported_grant_type"))
            }
        }
    }

    @Test(
        "With a relay and demo mode off, a sign-in queues the e-mail in the outbox, which the worker hands to the relay; the page shows no code",
        .timeLimit(.minutes(1))
    )
    func deliveryModeQueuesMail() async throws {
        var configuration = self.configuration
        configuration.demoMode = false
        configuration.smtp = MsmtpSender.Settings(host: "smtp.example.com", port: 587, from: "login@todo.example.com")
        let database = try AppDatabase.inMemory()
        let relay = RecordingSender()
        let app = try await buildApplication(configuration, dependencies: AppDependencies(mailSender: relay, database: database))
        try await app.test(.router) { client in
            let page = try await ScriptedClient(client).codePage(email: "ada@example.com")
            #expect(page.status == .ok && page.demoCode == nil)
            #expect(page.html.contains("Check your e-mail") && !page.html.contains("demo-warning"))
            // The worker (a service of the app) takes it from the outbox on its next round.
            let sent = await relay.next()
            #expect(sent?.to == "ada@example.com")
            #expect(sent?.subject.hasPrefix("Your sign-in code: ") == true)
        }

        configuration.smtp = nil
        await #expect(throws: ConfigurationError.self) {
            try await buildApplication(configuration, dependencies: AppDependencies(database: database))
        }
    }

    @Test("Demo mode at a public URL warns in the log at start; at a loopback URL, or with a relay, it does not")
    func demoModeWarnsAtAPublicURL() async throws {
        var loopback = self.configuration
        loopback.publicURL = URL(string: "http://127.0.0.1:8080")!
        var relay = self.configuration
        relay.demoMode = false
        relay.smtp = MsmtpSender.Settings(host: "smtp.example.com", port: 587, password: "hunter2", from: "login@todo.example.com")
        for (configuration, warns) in [(self.configuration, true), (loopback, false), (relay, false)] {
            let log = CapturedLog()
            _ = try await buildApplication(configuration, logger: log.logger())
            #expect(log.text.contains("Demo mode is on at a public URL") == warns, "\(configuration.publicURL)")
            #expect(!log.text.contains("hunter2"))
        }
    }

    @Test("/health reads the database at most once a second: a failure shows at the next check, and so does the recovery")
    func healthReportsAnUnusableDatabase() async throws {
        let database = try AppDatabase.inMemory()
        let clock = TestClock()
        let app = Application(router: try await buildRouter(self.configuration, database: database, dependencies: AppDependencies(now: clock.now)))
        try await app.test(.router) { client in
            func health() async throws -> (HTTPResponse.Status, [String: String]) {
                try await client.execute(uri: "/health", method: .get) { response in
                    (response.status, try JSONDecoder().decode([String: String].self, from: Data(String(buffer: response.body).utf8)))
                }
            }
            #expect(try await health() == (.ok, ["status": "ok", "database": "ok"]))
            try await database.writer.write { try $0.execute(sql: "ALTER TABLE grdb_migrations RENAME TO hidden") }
            #expect(try await health().0 == .ok, "the answer of the last second stands")
            clock.advance(seconds: 0.9)
            #expect(try await health().0 == .ok)
            clock.advance(seconds: 0.1)
            #expect(try await health() == (.serviceUnavailable, ["status": "error", "database": "unavailable"]))
            try await database.writer.write { try $0.execute(sql: "ALTER TABLE hidden RENAME TO grdb_migrations") }
            #expect(try await health().0 == .serviceUnavailable)
            clock.advance(seconds: -5)
            #expect(try await health().0 == .ok, "a clock that went back checks again")
        }
    }

    @Test func everyResponseCarriesARequestID() async throws {
        let app = try await buildApplication(self.configuration)
        try await app.test(.router) { client in
            var ids: Set<String> = []
            for path in ["/health", "/health", "/no-such-page"] {
                try await client.execute(uri: path, method: .get) { response in
                    let id = try #require(response.headers[.requestID])
                    #expect(!id.isEmpty)
                    ids.insert(id)
                }
            }
            #expect(ids.count == 3)
        }
    }

    @Test func setupPageShowsTheURLAndEveryClient() async throws {
        let app = try await buildApplication(self.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get, headers: [.accept: "text/html,application/xhtml+xml"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.xFrameOptions] == "DENY")
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                let html = String(buffer: response.body)
                #expect(html.contains(#"<pre class="url" id="mcp-url">https://todo.example.com</pre>"#))
                #expect(html.contains("claude mcp add --transport http todos https://todo.example.com"))
                for client in ["Claude.ai", "Claude Desktop", "Claude Code", "Cursor", "VS Code"] {
                    #expect(html.contains(client), "mentions \(client)")
                }
                for offered in [
                    "plan-my-day", "weekly-review", "triage", "todo://todos/{id}", "todo://views/open", "todo://views/today", "todo://views/overdue",
                ] {
                    #expect(html.contains(offered), "lists \(offered)")
                }
                #expect(html.contains(#"name="viewport""#), "readable on a phone")
                #expect(!html.contains("http://") && !html.contains("src="), "no external assets")
            }
        }
    }

    @Test func anMCPClientsGetIsNotServedThePage() async throws {
        let app = try await buildApplication(self.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get, headers: [.accept: "text/event-stream"]) { response in
                #expect(response.status == .methodNotAllowed)
            }
        }
    }

    @Test func tokensTheServerDidNotIssueAreRejected() async throws {
        let app = try await buildApplication(self.configuration)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/",
                method: .post,
                headers: [.authorization: "Bearer anything", .contentType: "application/json", .accept: "application/json"],
                body: ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#)
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
            }
        }
    }

    @Test func pagesEscapeWhatTheyPrint() throws {
        let html = try SetupPageController(
            configuration: ServerConfiguration(publicURL: URL(string: #"https://x.example/"><script>alert(1)</script>"#), databasePath: ":memory:")
        ).pages.render("setup", title: "<b>", values: ["mcpURL": #"https://x.example/"><script>alert(1)</script>"#])
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;"))
        #expect(html.contains("<title>&lt;b&gt;</title>"))
    }
}

/// A relay that keeps what it is handed, for a test to await.
private struct RecordingSender: MailSender {
    private let messages: AsyncStream<EmailMessage>
    private let continuation: AsyncStream<EmailMessage>.Continuation

    init() { (self.messages, self.continuation) = AsyncStream.makeStream() }

    func send(_ message: EmailMessage) async throws(MailSendError) { self.continuation.yield(message) }

    /// The next message handed over, waiting for it.
    func next() async -> EmailMessage? {
        var iterator = self.messages.makeAsyncIterator()
        return await iterator.next()
    }
}
