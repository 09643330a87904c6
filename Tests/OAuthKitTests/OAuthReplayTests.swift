import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthTestSupport
import Testing

@testable import OAuthKit

/// Replays of refresh tokens and authorization codes, and what they end (pitfall 9).
@Suite("OAuth replays")
struct OAuthReplayTests {
    @Test("Grace covers only the token just replaced, and only while its replacement is unused")
    func graceOnlyForThePreviousToken() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (_, first) = try await browser.tokens()
            let second = try await browser.rotate(first)
            let third = try await browser.rotate(second)
            fixture.clock.advance(seconds: 5)
            // Refreshes that crossed: the previous token still works while its replacement is unused.
            let (crossed, answer, _) = try await browser.refresh(second)
            #expect(crossed == .ok)
            let replacement = try #require(answer["refresh_token"] as? String)
            _ = third
            let fourth = try await browser.rotate(replacement)
            let (replayed, refusal, _) = try await browser.refresh(second)
            #expect(replayed == .badRequest && refusal["error"] as? String == "invalid_grant", "its replacement was used since")
            #expect(try await browser.refresh(fourth).0 == .badRequest, "the replay revoked the whole family")
        }
    }

    @Test("Refreshes that crossed leave two tokens; whichever the client keeps works later", arguments: [false, true])
    func crossedRefreshesKeepWorking(keepsTheSecond: Bool) async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (_, first) = try await browser.tokens()
            let earlier = try await browser.rotate(first)
            fixture.clock.advance(seconds: 1)
            let later = try await browser.rotate(first)  // within the grace
            fixture.clock.advance(seconds: 3 * 3600)
            let kept = keepsTheSecond ? later : earlier
            let (status, answer, _) = try await browser.refresh(kept)
            #expect(status == .ok, "hours later, with the token the client happened to keep")
            #expect(try await browser.refresh(try #require(answer["refresh_token"] as? String)).0 == .ok)
        }
    }

    @Test("A refresh within the grace does not fork the grant: once one branch is used, the other is a replay")
    func graceDoesNotFork() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (_, first) = try await browser.tokens()
            let legitimate = try await browser.rotate(first)
            fixture.clock.advance(seconds: 10)
            let stolen = try await browser.rotate(first)  // within the grace
            fixture.clock.advance(seconds: 10)
            let next = try await browser.rotate(legitimate)
            fixture.clock.advance(seconds: 61)
            let (status, error, _) = try await browser.refresh(stolen)
            #expect(status == .badRequest && error["error"] as? String == "invalid_grant", "the other branch is a replay now")
            #expect(try await browser.refresh(next).0 == .badRequest, "and it revoked the whole family")
        }
    }

    @Test("A token two generations back is a replay even within the grace period")
    func twoGenerationsBack() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (_, first) = try await browser.tokens()
            let second = try await browser.rotate(first)
            let third = try await browser.rotate(second)
            #expect(try await browser.refresh(first).0 == .badRequest)
            #expect(try await browser.refresh(third).0 == .badRequest)
        }
    }

    @Test("A replayed refresh token ends the access tokens of its grant, also after a restart; other grants live on")
    func refreshReplayEndsAccessTokens() async throws {
        let fixture = OAuthFixture()
        let (earlier, later, other) = try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (earlier, refresh) = try await browser.tokens()
            let (_, rotated, _) = try await browser.refresh(refresh)
            let later = try #require(rotated["access_token"] as? String)
            let other = try await ScriptedClient(client).tokens(email: "bob@example.com").access
            #expect(client.accepts(later))
            fixture.clock.advance(seconds: 61)
            #expect(try await browser.refresh(refresh).0 == .badRequest)
            for token in [earlier, later] {
                #expect(!client.accepts(token))
            }
            #expect(client.accepts(other))
            return (earlier, later, other)
        }
        try await fixture.app().test(.router) { client async throws -> Void in
            for token in [earlier, later] {
                #expect(!client.accepts(token), "kept in the database")
            }
            #expect(client.accepts(other))
        }
    }

    @Test("A replayed authorization code ends the access tokens issued for it")
    func codeReplayEndsAccessTokens() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (code, pkce) = try await browser.authorizationCode()
            let (_, issued, _) = try await browser.exchange(code: code, pkce: pkce)
            let access = try #require(issued["access_token"] as? String)
            let refresh = try #require(issued["refresh_token"] as? String)
            #expect(client.accepts(access))
            #expect(try await browser.exchange(code: code, pkce: pkce).0 == .badRequest)
            #expect(!client.accepts(access))
            #expect(try await browser.refresh(refresh).0 == .badRequest)
        }
    }

    @Test("Revoking a refresh token ends the access tokens of its grant")
    func revocationEndsAccessTokens() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let (access, refresh) = try await ScriptedClient(client).tokens()
            #expect(try await client.form("/oauth/revoke", [("token", refresh)]) == .ok)
            #expect(!client.accepts(access))
        }
    }

    @Test("A refresh asking for a scope never granted gets invalid_scope; unknown scopes are ignored")
    func refreshScopes() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (code, pkce) = try await browser.authorizationCode(scope: "todos:read")
            var refresh = try #require(try await browser.exchange(code: code, pkce: pkce).1["refresh_token"] as? String)
            func ask(_ scope: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let (status, json, _) = try await browser.token([
                    ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", browser.clientID), ("scope", scope),
                ])
                if let next = json["refresh_token"] as? String { refresh = next }
                return (status, json)
            }
            let (wider, error) = try await ask("todos:read todos:write")
            #expect(wider == .badRequest && error["error"] as? String == "invalid_scope")
            let (unknown, granted) = try await ask("offline_access")
            #expect(unknown == .ok && granted["scope"] as? String == "todos:read")
            let (mixed, same) = try await ask("todos:read offline_access")
            #expect(mixed == .ok && same["scope"] as? String == "todos:read")
        }
    }
}
