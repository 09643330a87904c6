import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthTestSupport
import Testing

@testable import OAuthKit

/// Rate limits and the client address they key on (pitfall 10).
@Suite("OAuth rate limits")
struct OAuthAbuseTests {
    @Test("E-mail submissions are limited per address")
    func emailLimit() async throws {
        let fixture = OAuthFixture()
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
        let fixture = OAuthFixture()
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
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            for index in 0..<10 {
                #expect(try await ScriptedClient(client).register(name: "app \(index)").0 == .created)
            }
            try await client.execute(
                uri: "/oauth/register",
                method: .post,
                headers: [.contentType: "application/json"],
                body: #"{"redirect_uris":["https://a.example/cb"]}"#
            ) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[HTTPField.Name("Retry-After")!] ?? "") ?? 0 > 0)
            }
        }
    }

    @Test("The token limit is per grant type, and a 429 never hides a terminal invalid_grant")
    func tokenLimit() async throws {
        let fixture = OAuthFixture()
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

    @Test("Parallel wrong codes count as at most five tries, and then even the right code fails")
    func parallelWrongCodes() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let codePage = try await browser.codePage()
            let right = try #require(codePage.demoCode)
            let wrong = right == "AAAAA" ? "BBBBB" : "AAAAA"
            let headers: HTTPFields = [
                .cookie: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
                .contentType: "application/x-www-form-urlencoded",
            ]
            let body = formEncode(codePage.firstFormFields + [("code", wrong)])
            let pages = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await client.execute(uri: "/oauth/authorize", method: .post, headers: headers, body: body) {
                            ($0.status, $0.text)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(pages.allSatisfy { $0.0 == .badRequest })
            let messages = pages.map { $0.1.firstMatch(of: #/class="message" role="alert">([^<]*)</#).map { String($0.output.1) } ?? "" }
            let counted = messages.filter { $0.contains("left.") || $0.contains("Too many wrong") }
            #expect(counted.count == 5, "every try is counted before it is compared: \(messages)")
            let late = try await browser.submit(codePage, [("code", right)])
            #expect(late.status == .badRequest)
            #expect(!late.html.contains(#"name="approve""#))
        }
    }

    @Test("A code answers only the browser that asked for it: another browser can neither burn nor replace it")
    func codesAreBoundToTheirFlow() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let victim = ScriptedClient(client)
            let codePage = try await victim.codePage(email: "ada@example.com")
            let code = try #require(codePage.demoCode)

            let attacker = ScriptedClient(client)
            attacker.clientID = victim.clientID
            let attackerPage = try await attacker.browse(.get, attacker.authorizeURI(pkce: PKCEPair()))
            var codeForm = attackerPage.firstFormFields.filter { $0.0 != "step" }
            codeForm += [("step", "code"), ("email", "ada@example.com")]
            for guess in ["AAAAA", "BBBBB", "CCCCC", "DDDDD", "EEEEE", "FFFFF", code] {
                let answer = try await attacker.browse(.post, "/oauth/authorize", form: codeForm + [("code", guess)])
                #expect(answer.status == .badRequest, "another flow's guesses, even the right code, get nowhere")
                #expect(!answer.html.contains(#"name="approve""#))
            }
            // The attacker asks for a new code for the same address: the victim's stays valid.
            #expect(try await attacker.submit(attackerPage, [("email", "ada@example.com")]).status == .ok)
            fixture.clock.advance(seconds: 61)  // past the per-client-address limit on tries
            let signedIn = try await victim.submit(codePage, [("code", code)])
            #expect(signedIn.html.contains(#"name="approve" value="yes""#), "the victim's code still works")
        }
    }
}
