import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthTestSupport
import Synchronization
import Testing

@testable import OAuthKit

/// The authorization endpoint, its login and consent pages.
@Suite("OAuth authorization and login")
struct OAuthAuthorizeTests {
    @Test("An unknown client or unregistered redirect gets an error page, never a redirect")
    func untrustedRequestsDoNotRedirect() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await browser.register()
            let pkce = PKCEPair()

            let unknownClient = try await browser.browse(
                .get,
                browser.authorizeURI(pkce: pkce).replacingOccurrences(of: browser.clientID, with: "c_nobody")
            )
            #expect(unknownClient.status == .badRequest)
            #expect(unknownClient.location == nil)
            #expect(unknownClient.html.contains("not registered"))

            let evil = ScriptedClient(client, redirectURI: "https://evil.example/steal")
            evil.clientID = browser.clientID
            let wrongRedirect = try await evil.browse(.get, evil.authorizeURI(pkce: pkce))
            #expect(wrongRedirect.status == .badRequest)
            #expect(wrongRedirect.location == nil)

            // The registered redirect is http://127.0.0.1:33418/callback: only its port may vary.
            for uri in [
                "http://evil@127.0.0.1:33418/callback", "http://evil.example@127.0.0.1:1/callback", "http://127.0.0.1:2@evil.example/callback",
            ] {
                let userinfo = ScriptedClient(client, redirectURI: uri)
                userinfo.clientID = browser.clientID
                let answer = try await userinfo.browse(.get, userinfo.authorizeURI(pkce: pkce))
                #expect(answer.status == .badRequest, "\(uri)")
                #expect(answer.location == nil)
            }

            let noClient = try await browser.browse(.get, "/oauth/authorize?response_type=code")
            #expect(noClient.status == .badRequest)
        }
    }

    @Test(
        "Other request errors go back to the client with state and iss",
        arguments: [
            ([("response_type", "token")], "unsupported_response_type"),
            ([("code_challenge", "")], "invalid_request"),
            ([("code_challenge_method", "plain")], "invalid_request"),
            ([("resource", "https://other.example/mcp")], "invalid_target"),
        ] as [([(String, String)], String)]
    )
    func errorsRedirect(_ overrides: [(String, String)], _ error: String) async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await browser.register()
            var fields: [(String, String)] = [
                ("response_type", "code"), ("client_id", browser.clientID), ("redirect_uri", browser.redirectURI), ("state", "st"),
                ("code_challenge", PKCEPair().challenge), ("code_challenge_method", "S256"),
            ]
            for (name, value) in overrides {
                fields.removeAll { $0.0 == name }
                fields.append((name, value))
            }
            let answer = try await browser.browse(.get, "/oauth/authorize?" + formEncode(fields))
            #expect(answer.status == .found)
            #expect(answer.location?.hasPrefix(browser.redirectURI) == true)
            #expect(answer.redirectParameters["error"] == error)
            #expect(answer.redirectParameters["state"] == "st")
            #expect(answer.redirectParameters["iss"] == "https://todo.example.com")
        }
    }

    @Test("The login pages follow the contract: email, step, code, #demo-code, approve (design.md)")
    func pageContract() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await browser.register(name: "<script>alert('x')</script>")
            let emailPage = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair()))
            #expect(emailPage.status == .ok)
            #expect(emailPage.html.contains(#"name="email""#))
            #expect(emailPage.html.contains(#"<input type="hidden" name="step" value="email">"#))
            #expect(!emailPage.html.contains("<script>"), "the client name is escaped")
            #expect(emailPage.html.contains("&lt;script&gt;"))
            #expect(emailPage.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(emailPage.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(!emailPage.html.contains("<script"), "works without JavaScript")

            let codePage = try await browser.submit(emailPage, [("email", "ada@example.com")])
            #expect(codePage.html.contains(#"name="code""#))
            #expect(codePage.html.contains(#"<input type="hidden" name="step" value="code">"#))
            let code = try #require(codePage.demoCode)
            #expect(code.count == 5)

            let consent = try await browser.submit(codePage, [("code", code.lowercased())])
            #expect(consent.html.contains(#"name="approve" value="yes""#))
            #expect(consent.html.contains(#"name="approve" value="no""#))
            #expect(consent.html.contains("127.0.0.1:33418"), "names the redirect host")
            #expect(consent.html.contains("&lt;script&gt;alert"), "names the client, escaped")
        }
    }

    @Test("Deny redirects with access_denied, state and iss")
    func deny() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await browser.register()
            let emailPage = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair(), state: "keep-me"))
            let codePage = try await browser.submit(emailPage, [("email", "ada@example.com")])
            let consent = try await browser.submit(codePage, [("code", try #require(codePage.demoCode))])
            let denied = try await browser.submit(consent, [("approve", "no")])
            #expect(denied.status == .seeOther)
            #expect(denied.redirectParameters["error"] == "access_denied")
            #expect(denied.redirectParameters["state"] == "keep-me")
            #expect(denied.redirectParameters["iss"] == "https://todo.example.com")
            #expect(denied.redirectParameters["code"] == nil)
        }
    }

    @Test("A wrong code counts down, and too many void it")
    func wrongCodes() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let codePage = try await browser.codePage()
            let right = try #require(codePage.demoCode)
            let wrong = right == "AAAAA" ? "BBBBB" : "AAAAA"
            var page = codePage
            for attempt in 1...4 {
                page = try await browser.submit(codePage, [("code", wrong)])
                #expect(page.status == .badRequest)
                #expect(page.html.contains("\(5 - attempt) tr"), "attempt \(attempt)")
            }
            page = try await browser.submit(codePage, [("code", wrong)])
            #expect(page.html.contains("Too many wrong codes"))
            let late = try await browser.submit(codePage, [("code", right)])
            #expect(late.status == .badRequest, "the voided code no longer works")
            #expect(late.html.contains(#"value="email""#))
        }
    }

    @Test("A login code expires after 10 minutes")
    func codesExpire() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let codePage = try await browser.codePage()
            fixture.clock.advance(seconds: 601)
            let late = try await browser.submit(codePage, [("code", try #require(codePage.demoCode))])
            #expect(late.status == .badRequest)
            #expect(late.html.contains("expired"))
        }
    }

    @Test("Codes are stored only as hashes, and the first login creates the user")
    func codesAreHashedAndUsersCreated() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let codePage = try await browser.codePage()
            let code = try #require(codePage.demoCode)
            let stored = fixture.store.snapshot.loginCodes.map(\.codeHash)
            #expect(stored.count == 1 && !stored[0].contains(code))
            #expect(fixture.store.snapshot.users["ada@example.com"] == nil)
            _ = try await browser.submit(codePage, [("code", code)])
            #expect(fixture.store.snapshot.users["ada@example.com"] != nil)
        }
    }

    @Test("Forms without the CSRF token of the browser's cookie are refused")
    func csrf() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let emailPage = try await browser.emailPage()
            let forged = emailPage.firstFormFields.map { $0.0 == "csrf" ? ("csrf", "forged-value-forged-value-forged-value") : $0 }
            let refused = try await browser.browse(.post, "/oauth/authorize", form: forged + [("email", "ada@example.com")])
            #expect(refused.status == .forbidden)
            #expect(refused.demoCode == nil)

            let attacker = ScriptedClient(client)  // another browser: no cookie
            let crossSite = try await attacker.browse(.post, "/oauth/authorize", form: emailPage.firstFormFields + [("email", "ada@example.com")])
            #expect(crossSite.status == .forbidden)
        }
    }

    @Test("Cookies are Secure (and __Host-) only when the public URL is https")
    func cookieSecurity() async throws {
        for (url, secure) in [("https://todo.example.com", true), ("http://127.0.0.1:8080", false)] {
            var fixture = OAuthFixture()
            fixture.configuration = OAuthConfiguration(issuer: url, resource: url + "/", scopes: OAuthFixture.scopes)
            try await fixture.app().test(.router) { client in
                let browser = ScriptedClient(client)
                _ = try await browser.register()
                let page = try await browser.browse(
                    .get,
                    browser.authorizeURI(pkce: PKCEPair()).replacingOccurrences(of: "https%3A%2F%2Ftodo.example.com%2F", with: "")
                )
                let cookie = try #require(page.setCookies.first)
                #expect(cookie.contains("Secure") == secure, "\(url): \(cookie)")
                #expect(cookie.hasPrefix("__Host-") == secure)
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
            }
        }
    }

    @Test("Unknown scopes are ignored; none means the default; a narrower grant is honoured (pitfall 11)")
    func scopes() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            for (requested, granted) in [
                ("claudeai offline_access", "todos:read todos:write"), (nil, "todos:read todos:write"), ("todos:read openid", "todos:read"),
            ] as [(String?, String)] {
                let browser = ScriptedClient(client)
                _ = try await browser.register(name: "scopes \(requested ?? "none")")
                let pkce = PKCEPair()
                let redirect = try await browser.signIn(email: "ada@example.com", pkce: pkce, scope: requested)
                let (_, tokens, _) = try await browser.exchange(code: try #require(redirect.redirectParameters["code"]), pkce: pkce)
                #expect(tokens["scope"] as? String == granted, "\(requested ?? "none")")
                if granted == "todos:read" {
                    let access = try #require(tokens["access_token"] as? String)
                    #expect(client.scopes(of: access) == ["todos:read"])
                }
            }
        }
    }

    @Test("A missing resource defaults to this server (pitfall 6)")
    func missingResource() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await browser.register()
            let pkce = PKCEPair()
            var page = try await browser.browse(
                .get,
                browser.authorizeURI(pkce: pkce).replacingOccurrences(of: "&resource=https%3A%2F%2Ftodo.example.com%2F", with: "")
            )
            page = try await browser.submit(page, [("email", "ada@example.com")])
            page = try await browser.submit(page, [("code", try #require(page.demoCode))])
            page = try await browser.submit(page, [("approve", "yes")])
            let code = try #require(page.redirectParameters["code"])
            let (status, tokens, _) = try await browser.token([
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", browser.redirectURI), ("client_id", browser.clientID),
                ("code_verifier", pkce.verifier),
            ])
            #expect(status == .ok)
            let access = try #require(tokens["access_token"] as? String)
            #expect(client.accepts(access))
        }
    }

    @Test("A loopback redirect works on any port (pitfall 1)")
    func loopbackPorts() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let registrar = ScriptedClient(client, redirectURI: "http://127.0.0.1/callback")
            _ = try await registrar.register()
            let browser = ScriptedClient(client, redirectURI: "http://127.0.0.1:51234/callback")
            browser.clientID = registrar.clientID
            let pkce = PKCEPair()
            let redirect = try await browser.signIn(email: "ada@example.com", pkce: pkce)
            #expect(redirect.location?.hasPrefix("http://127.0.0.1:51234/callback?") == true)
            let (status, _, _) = try await browser.exchange(code: try #require(redirect.redirectParameters["code"]), pkce: pkce)
            #expect(status == .ok)
        }
    }

    @Test("Another e-mail on the consent page signs the browser out")
    func switchUser() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let codePage = try await browser.codePage()
            let consent = try await browser.submit(codePage, [("code", try #require(codePage.demoCode))])
            #expect(consent.html.contains("ada@example.com"))
            let switchFields = consent.html.components(separatedBy: "<form").dropFirst(2).first.map { "<form" + $0 } ?? ""
            let fields = BrowserAnswer(status: .ok, headers: [:], html: switchFields).firstFormFields
            let signedOut = try await browser.browse(.post, "/oauth/authorize", form: fields)
            #expect(signedOut.html.contains(#"value="email""#))
            let again = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair()))
            #expect(again.html.contains(#"name="email""#), "no longer signed in")
        }
    }
}

/// Login codes go through the injected delivery; outside demo mode the page never shows them.
@Suite("Login code delivery")
struct LoginCodeDeliveryTests {
    final class Outbox: LoginCodeDelivery {
        let sent = Mutex<[LoginCodeMessage]>([])
        func deliver(_ message: LoginCodeMessage) async throws { self.sent.withLock { $0.append(message) } }
    }

    @Test("Demo mode says honestly that no e-mail is sent, and shows the code")
    func demoModeIsHonest() async throws {
        var fixture = OAuthFixture()
        fixture.configuration.loginCodeLifetime = 300
        try await fixture.app().test(.router) { client in
            let codePage = try await ScriptedClient(client).codePage()
            #expect(codePage.html.contains("Demo mode: no e-mail is sent."))
            #expect(codePage.html.contains("valid for 5 minutes"))
            #expect(!codePage.html.contains("We sent") && !codePage.html.contains("Check your e-mail"))
            #expect(codePage.demoCode != nil)
        }
    }

    @Test("Demo mode at an address others can reach warns on every sign-in page; at a loopback address it does not")
    func demoWarning() async throws {
        for (issuer, demo, warns) in [("https://todo.example.com", true, true), ("http://127.0.0.1:8080", true, false), ("https://todo.example.com", false, false)] {
            var fixture = OAuthFixture()
            fixture.configuration = OAuthConfiguration(issuer: issuer, resource: issuer + "/", scopes: OAuthFixture.scopes, demoMode: demo)
            fixture.delivery = Outbox()
            try await fixture.app().test(.router) { client in
                let browser = ScriptedClient(client)
                browser.resource = issuer + "/"
                let email = try await browser.emailPage()
                let code = try await browser.submit(email, [("email", "ada@example.com")])
                #expect(email.html.contains(#"id="demo-warning""#) == warns, "\(issuer) demo \(demo)")
                #expect(code.html.contains(#"id="demo-warning""#) == warns)
            }
        }
    }

    @Test func codesAreDeliveredAndNotShown() async throws {
        var fixture = OAuthFixture()
        fixture.configuration.demoMode = false
        let outbox = Outbox()
        fixture.delivery = outbox
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let codePage = try await browser.codePage(email: "Ada@Example.com")
            #expect(codePage.status == .ok)
            #expect(codePage.demoCode == nil)
            #expect(!codePage.html.contains(#"id="demo-code""#))
            #expect(codePage.html.contains("Check your e-mail; the code is valid for 10 minutes."))
            #expect(!codePage.html.contains("Demo mode"))
            let delivered = try #require(outbox.sent.withLock { $0.last })
            #expect(delivered.email == "ada@example.com")
            #expect(delivered.clientName == "Test client" && delivered.serverHost == "todo.example.com")
            #expect(delivered.expiresAt == fixture.clock.now().addingTimeInterval(600))
            let consent = try await browser.submit(codePage, [("code", delivered.code)])
            #expect(consent.html.contains(#"name="approve" value="yes""#))
        }
    }
}
