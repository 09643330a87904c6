import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthKit
import OAuthTestSupport
import Synchronization
import Testing

/// The account page: its own sign-in, connected apps, disconnecting, signing out (here and
/// everywhere), the data download and account deletion, each tried the way an attacker would.
@Suite("Account page")
struct AccountPageTests {
    /// A host's data: notes per subject, two to a page.
    final class Notes: AccountDataProvider {
        let notes = Mutex<[String: [String]]>([:])
        let exportKey = "notes"

        func add(_ note: String, for subject: String) { self.notes.withLock { $0[subject, default: []].insert(note, at: 0) } }
        func of(_ subject: String) -> [String] { self.notes.withLock { $0[subject] ?? [] } }

        func section(subject: String, after cursor: String?) async throws -> AccountSection {
            let all = self.of(subject)
            guard let start = cursor.map({ Int($0) }) ?? 0 else { throw CancellationError() }
            let page = Array(all.dropFirst(start).prefix(2))
            return AccountSection(
                title: "Your notes",
                items: page.map { AccountItem(title: $0, detail: "a note", isDone: $0.hasPrefix("done")) },
                emptyText: "You have no notes.",
                nextCursor: start + 2 < all.count ? String(start + 2) : nil
            )
        }

        func export(subject: String) async throws -> any Encodable & Sendable { self.of(subject) }
        func deleteAll(subject: String) async throws { _ = self.notes.withLock { $0.removeValue(forKey: subject) } }
    }

    /// Records what the delivery was asked to send and to drop.
    final class Mailbox: LoginCodeDelivery {
        let sent = Mutex<[LoginCodeMessage]>([])
        let discarded = Mutex<[String]>([])
        func deliver(_ message: LoginCodeMessage) async throws { self.sent.withLock { $0.append(message) } }
        func discardPending(for email: String) async throws { self.discarded.withLock { $0.append(email) } }
    }

    struct Setup {
        var fixture = OAuthFixture()
        let notes = Notes()
        let mailbox = Mailbox()

        init(issuer: String = "https://todo.example.com") {
            self.fixture.configuration = OAuthConfiguration(issuer: issuer, resource: issuer + "/", scopes: OAuthFixture.scopes)
            self.fixture.accountData = self.notes
            self.fixture.delivery = self.mailbox
        }
    }

    // MARK: Helpers

    /// Signs `browser` in to the account page; returns the overview.
    static func signIn(_ browser: ScriptedClient, email: String = "ada@example.com") async throws -> BrowserAnswer {
        let emailPage = try await browser.browse(.get, "/account")
        #expect(emailPage.status == .ok && emailPage.html.contains(#"name="action" value="email""#))
        let codePage = try await browser.submit(emailPage, [("email", email)])
        let code = try #require(codePage.demoCode)
        let signedIn = try await browser.submit(codePage, [("code", code)])
        #expect(signedIn.status == .seeOther && signedIn.location == "/account")
        let overview = try await browser.browse(.get, "/account")
        #expect(overview.status == .ok && overview.html.contains(#"id="account-email">\#(email)<"#))
        return overview
    }

    /// The signed-in forms' CSRF token on `page`.
    static func token(_ page: BrowserAnswer) throws -> String {
        try #require(page.html.firstMatch(of: #/name="csrf" value="([^"]+)"/#).map { String($0.output.1) })
    }

    static func act(_ browser: ScriptedClient, _ page: BrowserAnswer, _ action: String, _ extra: [(String, String)] = []) async throws -> BrowserAnswer {
        try await browser.browse(.post, "/account", form: [("action", action), ("csrf", try self.token(page))] + extra)
    }

    // MARK: Sign-in

    @Test("Signing in takes the e-mail code; the session cookie is the page's own, HttpOnly, SameSite and __Host- on https")
    func signInAndCookie() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let emailPage = try await browser.browse(.get, "/account")
            let codePage = try await browser.submit(emailPage, [("email", "Ada@Example.com")])
            let code = try #require(codePage.demoCode)
            let message = try #require(setup.mailbox.sent.withLock { $0.last })
            #expect(message.isAccountSignIn && message.email == "ada@example.com" && message.code == code)
            let wrong = try await browser.submit(codePage, [("code", code == "AAAAA" ? "BBBBB" : "AAAAA")])
            #expect(wrong.status == .badRequest && wrong.html.contains("4 tries left"))
            let signedIn = try await browser.submit(codePage, [("code", code)])
            let cookie = try #require(signedIn.setCookies.first { $0.hasPrefix("__Host-account_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure") && cookie.contains("Path=/"))
            #expect(!signedIn.setCookies.contains { $0.hasPrefix("__Host-oauth_session=") }, "the account page keeps its own session")
            let overview = try await browser.browse(.get, "/account")
            #expect(overview.html.contains("No apps are connected.") && overview.html.contains("You have no notes."))
        }
    }

    @Test("On plain http (a loopback URL) the cookie has no __Host- prefix and no Secure")
    func plainHTTPCookie() async throws {
        let setup = Setup(issuer: "http://127.0.0.1:8080")
        try await setup.fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await Self.signIn(browser)
            #expect(browser.cookies["account_session"] != nil && browser.cookies["__Host-account_session"] == nil)
        }
    }

    @Test("A forged, expired or tampered session cookie shows the sign-in page")
    func sessionCookieChecks() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await Self.signIn(browser)
            let sealed = try #require(browser.cookies["__Host-account_session"])
            browser.cookies["__Host-account_session"] = String(sealed.dropLast(2)) + (sealed.hasSuffix("AA") ? "BB" : "AA")
            #expect(try await browser.browse(.get, "/account").html.contains(#"value="email""#), "tampered")
            browser.cookies["__Host-account_session"] = sealed
            setup.fixture.clock.advance(seconds: 3601)
            #expect(try await browser.browse(.get, "/account").html.contains(#"value="email""#), "older than an hour")
        }
    }

    // MARK: Connected apps

    @Test("The overview lists an app with its name, redirect host, scopes, first authorization and last use, escaped")
    func listsConnectedApps() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            _ = try await app.register(name: "<b>Claude</b> & co")
            _ = try await app.tokens()
            setup.fixture.clock.advance(seconds: 90)
            let page = try await Self.signIn(ScriptedClient(client))
            #expect(page.html.contains("&lt;b&gt;Claude&lt;/b&gt; &amp; co") && !page.html.contains("<b>Claude</b>"))
            #expect(page.html.contains("<b>127.0.0.1:33418</b>"))
            #expect(page.html.contains("<li>Read your todos</li>") && page.html.contains("<li>Create, change, complete and delete your todos</li>"))
            let authorized = AccountPageTests.display(setup.fixture.clock.now().addingTimeInterval(-90))
            #expect(page.html.contains("<dt>First authorized</dt><dd>\(authorized)</dd><dt>Last used</dt><dd>\(authorized)</dd>"))
            #expect(page.html.contains(#"name="client_id" value="\#(app.clientID)""#))
        }
    }

    @Test("Disconnect ends the app's access at once: its access token, its refresh token, an unused code and the remembered consent")
    func disconnect() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            let (access, refresh) = try await app.tokens()
            let (pendingCode, pkce) = try await app.authorizationCode()
            #expect(client.accepts(access))
            let browser = ScriptedClient(client)
            let page = try await Self.signIn(browser)
            let done = try await Self.act(browser, page, "disconnect", [("client_id", app.clientID)])
            #expect(done.status == .seeOther && done.location == "/account?notice=disconnected")
            #expect(!client.accepts(access), "the access token is refused at once")
            #expect(try await app.refresh(refresh).1["error"] as? String == "invalid_grant")
            #expect(try await app.exchange(code: pendingCode, pkce: pkce).0 == .badRequest, "a code issued before does not reconnect it")
            let after = try await browser.browse(.get, "/account?notice=disconnected")
            #expect(after.html.contains("No apps are connected.") && after.html.contains(#"id="notice""#))
            // Connecting again asks for consent again.
            let again = try await app.browse(.get, app.authorizeURI(pkce: PKCEPair()))
            #expect(again.html.contains(#"name="approve" value="yes""#))
        }
    }

    @Test("Disconnecting another person's app (their client id) changes nothing of theirs")
    func disconnectIsPerPerson() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            let (access, refresh) = try await app.tokens(email: "ada@example.com")
            let mallory = ScriptedClient(client)
            let page = try await Self.signIn(mallory, email: "mallory@example.com")
            let done = try await Self.act(mallory, page, "disconnect", [("client_id", app.clientID)])
            #expect(done.status == .seeOther)
            #expect(client.accepts(access))
            #expect(try await app.refresh(refresh).0 == .ok)
        }
    }

    // MARK: Forgery

    @Test("A form without the right token, from another site, or without a session changes nothing")
    func forgedForms() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            let (access, _) = try await app.tokens()
            let browser = ScriptedClient(client)
            let page = try await Self.signIn(browser)
            let token = try Self.token(page)
            let missing = try await browser.browse(.post, "/account", form: [("action", "disconnect"), ("client_id", app.clientID)])
            #expect(missing.status == .forbidden)
            let wrong = try await browser.browse(.post, "/account", form: [("action", "delete"), ("confirm", "ada@example.com"), ("csrf", "x" + token)])
            #expect(wrong.status == .forbidden)
            // The pre-sign-in token (the flow cookie) is not the signed-in token.
            let flow = try #require(browser.cookies["__Host-oauth_csrf"])
            let flowToken = try await browser.browse(.post, "/account", form: [("action", "signout-everywhere"), ("csrf", flow)])
            #expect(flowToken.status == .forbidden)
            let crossSite = try await client.execute(
                uri: "/account",
                method: .post,
                headers: [
                    .contentType: "application/x-www-form-urlencoded", .cookie: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
                    HTTPField.Name("Origin")!: "https://evil.example",
                ],
                body: formEncode([("action", "disconnect"), ("client_id", app.clientID), ("csrf", token)])
            ) { $0.status }
            #expect(crossSite == .forbidden)
            let anonymous = ScriptedClient(client)
            let noSession = try await anonymous.browse(.post, "/account", form: [("action", "delete"), ("confirm", "ada@example.com"), ("csrf", token)])
            #expect(noSession.status == .forbidden && noSession.html.contains("not signed in"))
            #expect(client.accepts(access))
            #expect(try await Self.signIn(ScriptedClient(client)).html.contains(app.clientID))
            // The same form from the page's own origin works.
            let sameSite = try await client.execute(
                uri: "/account",
                method: .post,
                headers: [
                    .contentType: "application/x-www-form-urlencoded", .cookie: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
                    HTTPField.Name("Origin")!: "https://todo.example.com",
                ],
                body: formEncode([("action", "disconnect"), ("client_id", app.clientID), ("csrf", token)])
            ) { $0.status }
            #expect(sameSite == .seeOther)
        }
    }

    @Test("An unknown action or a missing client id is a clear 400 that changes nothing")
    func badActions() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let page = try await Self.signIn(browser)
            let unknown = try await Self.act(browser, page, "drop-tables")
            #expect(unknown.status == .badRequest && unknown.html.contains("That action is unknown."))
            let noClient = try await Self.act(browser, page, "disconnect")
            #expect(noClient.status == .badRequest && noClient.html.contains("Choose the app to disconnect."))
            let huge = try await browser.browse(.post, "/account", form: [("action", "download"), ("csrf", String(repeating: "a", count: 70_000))])
            #expect(huge.status == .contentTooLarge)
        }
    }

    @Test("Browsers send Origin: null for the pages' own forms (no-referrer); Sec-Fetch-Site decides when it is sent")
    func originHeaders() async throws {
        let setup = Setup(issuer: "https://todo.example.com:443/base")
        try await setup.fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let page = try await Self.signIn(browser)
            let token = try Self.token(page)
            func post(_ headers: HTTPFields) async throws -> HTTPResponse.Status {
                var all: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
                all.append(contentsOf: headers)
                return try await client.execute(uri: "/account", method: .post, headers: all, body: formEncode([("action", "nothing"), ("csrf", token)])) {
                    $0.status
                }
            }
            let origin = HTTPField.Name("Origin")!
            let site = HTTPField.Name("Sec-Fetch-Site")!
            // An accepted form reaches the action (unknown here: 400); a refused one is 403.
            #expect(try await post([origin: "null"]) == .badRequest)
            #expect(try await post([origin: "https://todo.example.com"]) == .badRequest, "the default port is not named")
            #expect(try await post([origin: "https://TODO.example.com"]) == .badRequest)
            #expect(try await post([site: "same-origin", origin: "null"]) == .badRequest)
            #expect(try await post([site: "none"]) == .badRequest)
            #expect(try await post([origin: "https://todo.example.com:8443"]) == .forbidden)
            #expect(try await post([origin: "http://todo.example.com"]) == .forbidden)
            #expect(try await post([site: "cross-site", origin: "null"]) == .forbidden)
            #expect(try await post([site: "same-site"]) == .forbidden, "a sibling subdomain is another site for this page")
        }
    }

    @Test("A sign-in session is not an account session, and a code asked for one sign-in does not work for the other")
    func purposesAreSeparate() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            _ = try await app.tokens()
            let signInSession = try #require(app.cookies["__Host-oauth_session"])
            let thief = ScriptedClient(client)
            thief.cookies["__Host-account_session"] = signInSession
            #expect(try await thief.browse(.get, "/account").html.contains(#"value="email""#), "a 7-day sign-in cookie does not open the account page")

            let browser = ScriptedClient(client)
            _ = try await Self.signIn(browser)
            let accountSession = try #require(browser.cookies["__Host-account_session"])
            let other = ScriptedClient(client)
            _ = try await other.register()
            other.cookies["__Host-oauth_session"] = accountSession
            #expect(try await other.browse(.get, other.authorizeURI(pkce: PKCEPair())).html.contains(#"name="step" value="email""#))

            // One browser asks the authorization pages for a code, then types it on the account page.
            setup.fixture.clock.advance(seconds: 61)
            let same = ScriptedClient(client)
            _ = try await same.register()
            let codePage = try await same.codePage()
            let code = try #require(codePage.demoCode)
            let accountCode = try await same.browse(.get, "/account")
            let tried = try await same.browse(
                .post,
                "/account",
                form: [("action", "code"), ("email", "ada@example.com"), ("code", code), ("csrf", try #require(accountCode.firstFormFields.first { $0.0 == "csrf" }?.1))]
            )
            #expect(tried.status == .badRequest && same.cookies["__Host-account_session"] == nil)
            // The authorization pages' code still works there (the client was approved: straight back).
            #expect(try await same.submit(codePage, [("code", code)]).redirectParameters["code"] != nil)
        }
    }

    @Test("A code issued before Sign out everywhere cannot start a grant afterwards")
    func codeAfterSignOutEverywhere() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            _ = try await app.tokens()
            let (pending, pkce) = try await app.authorizationCode()
            let browser = ScriptedClient(client)
            let page = try await Self.signIn(browser)
            _ = try await Self.act(browser, page, "signout-everywhere")
            let (status, answer, _) = try await app.exchange(code: pending, pkce: pkce)
            #expect(status == .badRequest && answer["error"] as? String == "invalid_grant")
        }
    }

    @Test("Download my data is limited per account")
    func downloadLimit() async throws {
        var setup = Setup()
        setup.fixture.limits = RateLimits(accountExports: [.init(seconds: 60, limit: 2)])
        try await setup.fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let page = try await Self.signIn(browser)
            for _ in 0..<2 { #expect(try await Self.act(browser, page, "download").status == .ok) }
            let limited = try await Self.act(browser, page, "download")
            #expect(limited.status == .tooManyRequests && limited.headers[.retryAfter] != nil && limited.html.contains("Please wait"))
            setup.fixture.clock.advance(seconds: 60)
            #expect(try await Self.act(browser, page, "download").status == .ok)
        }
    }

    @Test("A host's export key cannot take one of the file's own keys")
    func reservedExportKey() async throws {
        struct Clash: AccountDataProvider {
            let exportKey = "account"
            func section(subject: String, after cursor: String?) async throws -> AccountSection { AccountSection(title: "", items: [], emptyText: "") }
            func export(subject: String) async throws -> any Encodable & Sendable { 1 }
            func deleteAll(subject: String) async throws {}
        }
        var fixture = OAuthFixture()
        fixture.accountData = Clash()
        await #expect(throws: OAuthConfigurationError.self) { _ = try await fixture.server() }
    }

    // MARK: Signing out

    @Test("Sign out ends this browser's session only")
    func signOut() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let first = ScriptedClient(client)
            let second = ScriptedClient(client)
            let page = try await Self.signIn(first)
            _ = try await Self.signIn(second)
            let done = try await Self.act(first, page, "signout")
            #expect(done.location == "/account?notice=signed-out")
            #expect(first.cookies["__Host-account_session"] == nil)
            #expect(try await first.browse(.get, "/account").html.contains(#"value="email""#))
            #expect(try await second.browse(.get, "/account").html.contains(#"id="account-email""#))
            // With a session that has already ended, Sign out still clears the cookie.
            setup.fixture.clock.advance(seconds: 3601)
            let stale = try await second.browse(.post, "/account", form: [("action", "signout"), ("csrf", "anything")])
            #expect(stale.status == .seeOther && second.cookies["__Host-account_session"] == nil)
        }
    }

    @Test("Sign out everywhere ends every browser session (account and sign-in pages) and every app's tokens, keeping the apps approved")
    func signOutEverywhere() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            let (access, refresh) = try await app.tokens()
            let laptop = ScriptedClient(client)
            let phone = ScriptedClient(client)
            let page = try await Self.signIn(laptop)
            _ = try await Self.signIn(phone)
            #expect(try await app.browse(.get, app.authorizeURI(pkce: PKCEPair())).status == .found, "signed in and approved: straight back")
            let done = try await Self.act(laptop, page, "signout-everywhere")
            #expect(done.location == "/account?notice=signed-out-everywhere")
            #expect(try await phone.browse(.get, "/account").html.contains(#"value="email""#), "the other browser is signed out")
            #expect(!client.accepts(access))
            #expect(try await app.refresh(refresh).0 == .badRequest)
            let signIn = try await app.browse(.get, app.authorizeURI(pkce: PKCEPair()))
            #expect(signIn.html.contains(#"name="step" value="email""#), "the sign-in pages' session ended too")
            setup.fixture.clock.advance(seconds: 61)  // past the limit of codes per address and client per minute
            let overview = try await Self.signIn(laptop)
            #expect(overview.html.contains(app.clientID) && overview.html.contains("Signed out: it must ask you"))
            // Signing in again brings the app back without the consent page.
            setup.fixture.clock.advance(seconds: 61)
            #expect(try await app.signIn(email: "ada@example.com", pkce: PKCEPair()).status == .seeOther)
        }
    }

    // MARK: Data

    @Test("The person's data is paged newest first; a bad page link is a 400 with the first page")
    func paging() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await Self.signIn(browser)
            let subject = try #require(setup.fixture.store.snapshot.users["ada@example.com"])
            for note in ["oldest", "done <older>", "newer", "newest"] { setup.notes.add(note, for: subject) }
            let first = try await browser.browse(.get, "/account")
            #expect(first.html.contains("newest") && first.html.contains("newer") && !first.html.contains("oldest"))
            let older = try #require(first.html.firstMatch(of: #/href="([^"]+)" id="older"/#).map { String($0.output.1) })
            #expect(older == "/account?after=2")
            let second = try await browser.browse(.get, older)
            #expect(second.html.contains("oldest") && second.html.contains(#"<li class="done">"#) && second.html.contains("done &lt;older&gt;"))
            #expect(!second.html.contains(#"id="older""#) && second.html.contains(#"<a href="/account">Newest</a>"#))
            let bad = try await browser.browse(.get, "/account?after=%3Cscript%3E")
            #expect(bad.status == .badRequest && bad.html.contains("newest") && !bad.html.contains("<script>"))
            let rejected = try await browser.browse(.get, "/account?after=zz")
            #expect(rejected.status == .badRequest && rejected.html.contains("That page link is not valid any more."))
        }
    }

    @Test("Download my data is a JSON file of the account, its apps and the host's data, of this person only")
    func download() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            _ = try await app.register(name: "Notes app")
            _ = try await app.tokens()
            _ = try await ScriptedClient(client).tokens(email: "bob@example.com")
            let browser = ScriptedClient(client)
            let page = try await Self.signIn(browser)
            let users = setup.fixture.store.snapshot.users
            setup.notes.add("ada's note", for: try #require(users["ada@example.com"]))
            setup.notes.add("bob's note", for: try #require(users["bob@example.com"]))
            let (status, headers, json) = try await client.execute(
                uri: "/account",
                method: .post,
                headers: [
                    .contentType: "application/x-www-form-urlencoded", .cookie: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
                ],
                body: formEncode([("action", "download"), ("csrf", try Self.token(page))])
            ) { ($0.status, $0.headers, $0.json) }
            #expect(status == .ok)
            #expect(headers[.contentType] == "application/json; charset=utf-8")
            #expect(headers[HTTPField.Name("Content-Disposition")!]?.hasPrefix("attachment; filename=\"account-data-") == true)
            #expect(headers[.cacheControl] == "no-store")
            #expect((json["account"] as? [String: Any])?["email"] as? String == "ada@example.com")
            #expect(json["notes"] as? [String] == ["ada's note"])
            let apps = try #require(json["connectedApps"] as? [[String: Any]])
            #expect(apps.count == 1 && apps[0]["name"] as? String == "Notes app" && apps[0]["signedIn"] as? Bool == true)
        }
    }

    // MARK: Deletion

    @Test("Delete needs the e-mail address typed; then everything goes, and the address can sign up anew with nothing")
    func deleteAccount() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            let (access, refresh) = try await app.tokens()
            let browser = ScriptedClient(client)
            let page = try await Self.signIn(browser)
            let subject = try #require(setup.fixture.store.snapshot.users["ada@example.com"])
            setup.notes.add("secret", for: subject)
            _ = try await ScriptedClient(client).tokens(email: "bob@example.com")
            let bob = try #require(setup.fixture.store.snapshot.users["bob@example.com"])
            setup.notes.add("bob's", for: bob)

            let refused = try await Self.act(browser, page, "delete", [("confirm", "ada@example.co")])
            #expect(refused.status == .badRequest && refused.html.contains("Nothing was deleted."))
            #expect(setup.notes.of(subject) == ["secret"] && client.accepts(access))

            let savedCookies = browser.cookies
            let appCookies = app.cookies
            let done = try await Self.act(browser, page, "delete", [("confirm", " ADA@example.com ")])
            #expect(done.location == "/account?notice=deleted")
            #expect(setup.notes.of(subject).isEmpty && setup.notes.of(bob) == ["bob's"])
            #expect(!client.accepts(access))
            #expect(try await app.refresh(refresh).0 == .badRequest)
            #expect(setup.mailbox.discarded.withLock { $0 } == ["ada@example.com"])
            let snapshot = setup.fixture.store.snapshot
            #expect(snapshot.users["ada@example.com"] == nil && snapshot.users["bob@example.com"] == bob)
            #expect(!snapshot.refreshTokens.contains { $0.subject == subject })
            #expect(!snapshot.loginCodes.contains { $0.email == "ada@example.com" })
            // The old session cookies are dead even when a browser sends them again, and the address
            // signs up as a new, empty account.
            let replay = ScriptedClient(client)
            replay.cookies = savedCookies
            #expect(try await replay.browse(.get, "/account").html.contains(#"value="email""#))
            let replayedApp = ScriptedClient(client)
            (replayedApp.cookies, replayedApp.clientID) = (appCookies, app.clientID)
            #expect(try await replayedApp.browse(.get, replayedApp.authorizeURI(pkce: PKCEPair())).html.contains(#"name="step" value="email""#))
            let gone = try await browser.browse(.get, "/account?notice=deleted")
            #expect(gone.html.contains(#"value="email""#) && gone.html.contains("Your account and everything kept with it are deleted."))
            let fresh = try await Self.signIn(ScriptedClient(client))
            #expect(fresh.html.contains("No apps are connected.") && fresh.html.contains("You have no notes."))
            #expect(setup.fixture.store.snapshot.users["ada@example.com"] != subject)
        }
    }

    @Test("Notices come from a fixed list: a notice parameter never puts its text on the page")
    func noticesAreFixed() async throws {
        let setup = Setup()
        try await setup.fixture.app().test(.router) { client in
            let page = try await ScriptedClient(client).browse(.get, "/account?notice=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            #expect(page.status == .ok && !page.html.contains("alert(1)") && !page.html.contains(#"id="notice""#))
        }
    }

    @Test("The account page follows the mount point")
    func mounted() async throws {
        var setup = Setup(issuer: "https://example.com/auth")
        setup.fixture.configuration = OAuthConfiguration(
            issuer: "https://example.com/auth",
            resource: "https://example.com/mcp",
            scopes: OAuthFixture.scopes,
            mountPath: "/auth"
        )
        try await setup.fixture.app().test(.router) { client in
            let page = try await ScriptedClient(client).browse(.get, "/auth/account")
            #expect(page.status == .ok && page.formAction == "/auth/account")
            #expect(try await ScriptedClient(client).browse(.get, "/account").status == .notFound)
        }
    }

    static func display(_ date: Date) -> String {
        let iso = date.formatted(.iso8601)
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5)) + " UTC"
    }
}
