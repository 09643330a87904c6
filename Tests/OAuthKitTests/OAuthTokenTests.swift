import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthTestSupport
import Testing

@testable import OAuthKit

/// The token and revocation endpoints.
@Suite("OAuth tokens")
struct OAuthTokenTests {
    /// A signed-in client with an unused code.
    func codeFor(_ browser: ScriptedClient, pkce: PKCEPair = PKCEPair()) async throws -> (String, PKCEPair) {
        if browser.clientID.isEmpty { _ = try await browser.register() }
        let redirect = try await browser.signIn(email: "ada@example.com", pkce: pkce)
        return (try #require(redirect.redirectParameters["code"]), pkce)
    }

    @Test("A code works once; a second use fails and revokes what the first issued (10.19)")
    func codesAreSingleUse() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (code, pkce) = try await self.codeFor(browser)
            let (first, tokens, _) = try await browser.exchange(code: code, pkce: pkce)
            #expect(first == .ok)
            let (second, error, headers) = try await browser.exchange(code: code, pkce: pkce)
            #expect(second == .badRequest)
            #expect(error["error"] as? String == "invalid_grant")
            #expect(headers[.cacheControl] == "no-store")
            let refresh = try #require(tokens["refresh_token"] as? String)
            #expect(try await browser.refresh(refresh).0 == .badRequest, "the first use's tokens are revoked")
        }
    }

    @Test("Everything is checked before the code is used up")
    func checksComeFirst() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (code, pkce) = try await self.codeFor(browser)
            let base: [(String, String)] = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", browser.redirectURI), ("client_id", browser.clientID),
                ("code_verifier", pkce.verifier),
            ]
            func with(_ name: String, _ value: String) -> [(String, String)] { base.filter { $0.0 != name } + [(name, value)] }

            let wrongVerifier = try await browser.token(with("code_verifier", PKCEPair().verifier))
            #expect(wrongVerifier.0 == .badRequest && wrongVerifier.1["error"] as? String == "invalid_grant")
            let wrongRedirect = try await browser.token(with("redirect_uri", "http://127.0.0.1:33418/other"))
            #expect(wrongRedirect.1["error"] as? String == "invalid_grant")
            let wrongResource = try await browser.token(with("resource", "https://other.example/"))
            #expect(wrongResource.1["error"] as? String == "invalid_target")
            let missingVerifier = try await browser.token(base.filter { $0.0 != "code_verifier" })
            #expect(missingVerifier.1["error"] as? String == "invalid_request")

            let other = ScriptedClient(client)
            _ = try await other.register(name: "Another app")
            let otherClient = try await browser.token(with("client_id", other.clientID))
            #expect(otherClient.1["error"] as? String == "invalid_grant")

            #expect(try await browser.token(base).0 == .ok, "the code survived the failed attempts")
        }
    }

    @Test("A code expires after 10 minutes")
    func codesExpire() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (code, pkce) = try await self.codeFor(browser)
            fixture.clock.advance(seconds: 601)
            let (status, error, _) = try await browser.exchange(code: code, pkce: pkce)
            #expect(status == .badRequest && error["error"] as? String == "invalid_grant")
        }
    }

    @Test("An unknown client is 401 invalid_client, so clients register again (pitfall 8)")
    func unknownClient() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            browser.clientID = "c_forgotten"
            let (status, error, _) = try await browser.refresh("rt1_whatever")
            #expect(status == .unauthorized)
            #expect(error["error"] as? String == "invalid_client")
        }
    }

    @Test(
        "Malformed token requests get RFC 6749 errors",
        arguments: [
            ("grant_type=password&username=a&password=b&client_id=x", "unsupported_grant_type"),
            ("client_id=x", "invalid_request"),
            ("grant_type=authorization_code&grant_type=refresh_token", "invalid_request"),
            ("grant_type=refresh_token", "invalid_request"),
        ]
    )
    func malformedRequests(_ body: String, _ error: String) async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            try await client.execute(
                uri: "/oauth/token",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: body
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.cacheControl] == "no-store")
                let json = response.json
                #expect(json["error"] as? String == error)
            }
            try await client.execute(uri: "/oauth/token", method: .post, headers: [.contentType: "application/json"], body: "{}")
            { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test("Access tokens expire after an hour")
    func accessTokensExpire() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let (access, _) = try await ScriptedClient(client).tokens()
            #expect(client.accepts(access))
            fixture.clock.advance(seconds: 3601)
            #expect(!client.accepts(access))
        }
    }

    @Test("Refresh rotates; a just-rotated token works within the grace period (pitfall 9)")
    func refreshGrace() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (_, refresh) = try await browser.tokens()
            let (status, first, _) = try await browser.refresh(refresh)
            #expect(status == .ok)
            fixture.clock.advance(seconds: 30)
            let (concurrent, second, _) = try await browser.refresh(refresh)
            #expect(concurrent == .ok, "a concurrent refresh with the same token does not log the user out")
            for token in [first["refresh_token"], second["refresh_token"]].compactMap({ $0 as? String }) {
                #expect(try await browser.refresh(token).0 == .ok)
            }
        }
    }

    @Test("Replaying a rotated token after the grace period revokes the whole family (pitfall 9)")
    func refreshReuse() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (_, refresh) = try await browser.tokens()
            let (_, rotated, _) = try await browser.refresh(refresh)
            let newest = try #require(rotated["refresh_token"] as? String)
            fixture.clock.advance(seconds: 61)
            let (status, error, _) = try await browser.refresh(refresh)
            #expect(status == .badRequest && error["error"] as? String == "invalid_grant")
            #expect(try await browser.refresh(newest).0 == .badRequest, "the thief's and the owner's tokens are both dead")
        }
    }

    @Test("Refresh tokens expire after 30 days and are stored only as hashes")
    func refreshExpiry() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (_, refresh) = try await browser.tokens()
            let stored = fixture.store.snapshot.refreshTokens.map(\.tokenHash)
            #expect(!stored.isEmpty && !stored.contains(refresh))
            fixture.clock.advance(seconds: 30 * 86_400 + 1)
            #expect(try await browser.refresh(refresh).0 == .badRequest)
        }
    }

    @Test("A refresh may narrow the scope, never widen it")
    func refreshScope() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (_, refresh) = try await browser.tokens()
            let (_, narrowed, _) = try await browser.token([
                ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", browser.clientID), ("scope", "todos:read"),
            ])
            #expect(narrowed["scope"] as? String == "todos:read")
        }
    }

    @Test("Revoking an unknown token answers 200 (RFC 7009)")
    func revokeUnknown() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let unknown = try await client.form("/oauth/revoke", [("token", "nothing-like-a-token")])
            #expect(unknown == .ok)
            let missing = try await client.form("/oauth/revoke", [("client_id", "x")])
            #expect(missing == .badRequest)
        }
    }

    @Test("Tokens stay valid across a restart: the generated signing key is kept with the data")
    func signingKeySurvivesRestart() async throws {
        let fixture = OAuthFixture()
        let access = try await fixture.app().test(.router) { client in try await ScriptedClient(client).tokens().access }
        try await fixture.app().test(.router) { client in
            #expect(client.accepts(access))
        }
    }

    @Test("Configured signing keys sign; adding a newer key keeps old tokens valid")
    func configuredKeys() async throws {
        var fixture = OAuthFixture()
        let old = SigningKey(id: "old", secret: Array(repeating: 7, count: 32), createdAt: Date(timeIntervalSince1970: 0))
        fixture.signingKeys = [old]
        let access = try await fixture.app().test(.router) { client in try await ScriptedClient(client).tokens().access }
        #expect(access.hasPrefix("at1.old."))
        fixture.signingKeys = [
            old, SigningKey(id: "new", secret: Array(repeating: 8, count: 32), createdAt: Date(timeIntervalSince1970: 0)),
        ]
        try await fixture.app().test(.router) { client in
            #expect(client.accepts(access))
        }
    }

    @Test("A token for another resource is refused (9.9)")
    func audience() async throws {
        var fixture = OAuthFixture()
        let access = try await fixture.app().test(.router) { client in try await ScriptedClient(client).tokens().access }
        // The same keys and data, but the server now stands for another resource.
        fixture.configuration = OAuthConfiguration(issuer: "https://other.example.com", resource: "https://other.example.com/", scopes: OAuthFixture.scopes)
        try await fixture.app().test(.router) { client in
            #expect(!client.accepts(access))
        }
    }
}
