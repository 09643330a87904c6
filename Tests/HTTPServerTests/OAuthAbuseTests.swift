import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HTTPServer

/// Rate limits and the client address they key on (pitfall 10).
@Suite("OAuth rate limits")
struct OAuthAbuseTests {
    @Test("E-mail submissions are limited per address")
    func emailLimit() async throws {
        let fixture = try OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let emailPage = try await browser.emailPage()
            for _ in 0..<3 {
                #expect(try await browser.submit(emailPage, [("email", "ada@example.com")]).status == .ok)
            }
            let limited = try await browser.submit(emailPage, [("email", "ada@example.com")])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.html.contains("wait"))
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
            #expect(limited.demoCode == nil)
            #expect(try await browser.submit(emailPage, [("email", "bob@example.com")]).status == .ok, "another address is not limited")
            fixture.clock.advance(seconds: 61)
            #expect(try await browser.submit(emailPage, [("email", "ada@example.com")]).status == .ok, "the window passes")
        }
    }

    @Test("Code attempts are limited per client address")
    func codeAttemptLimit() async throws {
        let fixture = try OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let codePage = try await browser.codePage()
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<11 {
                statuses.append(try await browser.submit(codePage, [("code", "ZZZZZ")]).status)
                fixture.clock.advance(seconds: 1)
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == .badRequest })
            #expect(statuses.last == .tooManyRequests)
            #expect(try await browser.submit(codePage, [("code", "ZZZZZ")]).headers[.retryAfter] != nil)
        }
    }

    @Test("Registration is limited per client address, with Retry-After")
    func registrationLimit() async throws {
        let fixture = try OAuthFixture()
        try await fixture.app().test(.router) { client in
            for index in 0..<10 {
                #expect(try await ScriptedClient(client).register(name: "app \(index)").0 == .created)
            }
            try await client.execute(
                uri: "/oauth/register",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"redirect_uris":["https://a.example/cb"]}"#)
            ) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[HTTPField.Name("Retry-After")!] ?? "") ?? 0 > 0)
            }
        }
    }

    @Test("The token limit is per grant type, and a 429 never hides a terminal invalid_grant")
    func tokenLimit() async throws {
        let fixture = try OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (_, refresh) = try await browser.tokens()
            var last = HTTPResponse.Status.ok
            for _ in 0..<60 { last = try await browser.refresh("rt1_unknown").0 }
            #expect(last == .badRequest)
            let (status, error, _) = try await browser.refresh("rt1_unknown")
            #expect(status == .badRequest && error["error"] as? String == "invalid_grant", "terminal, not 429")
            let (limited, _, headers) = try await browser.refresh(refresh)
            #expect(limited == .tooManyRequests, "a valid grant waits")
            #expect(headers[HTTPField.Name("Retry-After")!] != nil)
            // The authorization_code grant has its own bucket: the repair path stays open.
            let pkce = PKCEPair()
            let redirect = try await browser.signIn(email: "ada@example.com", pkce: pkce)
            #expect(try await browser.exchange(code: try #require(redirect.redirectParameters["code"]), pkce: pkce).0 == .ok)
        }
    }

    @Test("X-Forwarded-For counts only from a trusted proxy")
    func clientAddress() {
        let resolver = ClientAddressResolver(trustedProxies: ["10.0.0.1", "10.0.0.2"])
        #expect(resolver.address(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"]) == "203.0.113.9", "an untrusted peer cannot claim an address")
        #expect(resolver.address(peer: "10.0.0.1", forwardedFor: ["1.2.3.4"]) == "1.2.3.4")
        #expect(resolver.address(peer: "10.0.0.1", forwardedFor: ["6.6.6.6, 1.2.3.4, 10.0.0.2"]) == "1.2.3.4", "the nearest untrusted hop")
        #expect(resolver.address(peer: "10.0.0.1", forwardedFor: []) == "10.0.0.1")
        #expect(resolver.address(peer: nil, forwardedFor: ["1.2.3.4"]) == "unknown")
    }
}
