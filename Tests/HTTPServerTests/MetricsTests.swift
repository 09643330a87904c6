import EndpointCore
import EndpointTestSupport
import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import MCPTestSupport
import OAuthTestSupport
import Testing

@testable import HTTPServer

/// `GET /metrics`: who may read it, and counters that move with what the server does.
@Suite("Metrics")
struct MetricsTests {
    static let token = "metrics-secret-0123456789"

    /// The value of the sample `name` whose labels include every pair of `labels`, or 0 when there is none.
    static func value(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            guard series == name || series.hasPrefix(name + "{") else { continue }
            if labels.allSatisfy({ series.contains("\($0.key)=\"\($0.value)\"") }) { return Double(line[line.index(after: space)...]) ?? .nan }
        }
        return 0
    }

    static func scrape(_ client: some TestClientProtocol) async throws -> String {
        try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            return String(buffer: response.body)
        }
    }

    @Test("Counters move: requests by route and status, MCP calls by tool and outcome, sign-ins, tokens, replays, rate limits")
    func countersMove() async throws {
        var fixture = try OAuthFixture()
        fixture.configuration.metricsToken = Self.token
        let clock = fixture.clock
        try await fixture.app().test(.router) { client in
            let before = try await Self.scrape(client)
            let browser = ScriptedClient(client)
            let codePage = try await browser.codePage()
            _ = try await browser.submit(codePage, [("code", "WRONG")])
            _ = try await browser.submit(codePage, [("code", try #require(codePage.demoCode))])
            let (access, refresh) = try await browser.tokens()
            #expect(try await client.callTool("create_todo", ["title": "Counted"], token: access).status == .ok)
            _ = try await client.callTool("create_todo", ["title": "   "], token: access)
            let rotated = try await browser.rotate(refresh)
            clock.advance(seconds: 120)
            _ = try await browser.rotate(rotated)
            #expect(try await browser.refresh(refresh).0 == .badRequest, "a replay after the grace")
            for _ in 0..<11 { _ = try await browser.register(name: "flood") }
            _ = try await client.execute(uri: "/health", method: .get) { $0.status }
            _ = try await client.execute(uri: "/no/such/path/\(UUID())", method: .get) { $0.status }

            let after = try await Self.scrape(client)
            func moved(_ name: String, _ labels: [String: String] = [:]) -> Double { Self.value(after, name, labels) - Self.value(before, name, labels) }
            #expect(moved("todo_mcp_requests_total", ["method": "tools/call", "tool": "create_todo", "outcome": "success"]) == 1)
            #expect(moved("todo_mcp_requests_total", ["method": "tools/call", "tool": "create_todo", "outcome": "tool_error"]) == 1)
            #expect(moved("todo_login_codes_sent_total") == 1)
            #expect(moved("todo_sign_ins_total", ["outcome": "success"]) == 1)
            #expect(moved("todo_sign_ins_total", ["outcome": "failure"]) == 1)
            #expect(moved("todo_tokens_issued_total", ["grant_type": "authorization_code"]) == 1)
            #expect(moved("todo_tokens_issued_total", ["grant_type": "refresh_token"]) == 2)
            #expect(moved("todo_refresh_token_reuse_detected_total") == 1)
            #expect(moved("todo_rate_limited_total", ["limit": "register"]) >= 1)
            #expect(moved("todo_http_requests_total", ["route": "/health", "method": "GET", "status": "200"]) == 1)
            #expect(moved("todo_http_requests_total", ["route": "NotFound", "status": "404"]) == 1, "random paths share one series")
            #expect(!after.contains("/no/such/path"))
            #expect(Self.value(after, "todo_http_request_duration_seconds_count", ["route": "/health"]) >= 1)
            #expect(Self.value(after, "todo_database_up") == 1 && Self.value(after, "todo_database_size_bytes") > 0)
            #expect(after.contains("todo_mail_outbox_depth 0"))
            #expect(!after.contains(access) && !after.contains("ada@example.com"))
        }
    }

    @Test("With METRICS_TOKEN, a missing or wrong token is 401 with a Bearer challenge")
    func token() async throws {
        var fixture = try OAuthFixture()
        fixture.configuration.metricsToken = Self.token
        try await fixture.app().test(.router) { client in
            for header in [nil, "Bearer wrong-secret-0123456789", "Basic \(Self.token)", "Bearer \(Self.token)x"] as [String?] {
                let headers: HTTPFields = header.map { [.authorization: $0] } ?? [:]
                try await client.execute(uri: "/metrics", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized, "\(header ?? "none")")
                    #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="metrics""#)
                }
            }
        }
    }

    @Test("Without METRICS_TOKEN, loopback clients read the metrics; a client behind a trusted proxy does not")
    func loopbackOnly() async throws {
        var fixture = try OAuthFixture()
        fixture.configuration.trustedProxies = ["127.0.0.1"]
        try await fixture.app().test(.live) { client in
            #expect(try await client.execute(uri: "/metrics", method: .get) { $0.status } == .ok)
            let forwarded = try await client.execute(uri: "/metrics", method: .get, headers: [.xForwardedFor: "203.0.113.5"]) { $0.status }
            #expect(forwarded == .forbidden)
            #expect(try await client.execute(uri: "//metrics/", method: .get, headers: [.xForwardedFor: "203.0.113.5"]) { $0.status } == .forbidden)
        }
    }

    @Test("Without METRICS_TOKEN, a request a proxy forwarded is refused even when the proxy is not trusted (every client looks local)")
    func forwardedFromAnUntrustedLocalProxy() async throws {
        let fixture = try OAuthFixture()
        try await fixture.app().test(.live) { client in
            for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"] {
                let status = try await client.execute(uri: "/metrics", method: .get, headers: [HTTPField.Name(header)!: "for=203.0.113.5"]) { $0.status }
                #expect(status == .forbidden, "\(header)")
            }
        }
    }

    @Test("METRICS_TOKEN must be long enough, and its value is never echoed")
    func shortToken() throws {
        let reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: ["METRICS_TOKEN": "short-secret"]))
        do {
            _ = try ServerConfiguration(reader: reader)
            Issue.record("a short token was accepted")
        } catch {
            #expect(error.variable == "METRICS_TOKEN" && !"\(error)".contains("short-secret"))
        }
    }
}
