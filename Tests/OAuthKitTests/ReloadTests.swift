import EndpointTestSupport
import Foundation
import OAuthKit
import OAuthTestSupport
import Testing

/// What another process writes to the stores (an admin command, another instance) takes effect
/// here once the server reads them again.
@Suite("Reloading shared state")
struct ReloadTests {
    @Test("A grant revoked in the store is refused after a reload; a key added to the store signs, and older tokens stay valid")
    func reload() async throws {
        let fixture = OAuthFixture()
        let server = try await fixture.server()
        try await DirectApp(server: server).test(.router) { client in
            let browser = ScriptedClient(client)
            let (access, _) = try await browser.tokens()
            let claims = try #require(server.verifyAccessToken(access))

            try await fixture.store.revokeGrant(id: claims.grantID, expiresAt: fixture.clock.now().addingTimeInterval(3600))
            #expect(client.accepts(access), "not yet read")
            try await server.reloadFromStores()
            #expect(!client.accepts(access))

            let (older, _) = try await ScriptedClient(client).tokens(email: "bob@example.com")
            let oldKey = older.split(separator: ".")[1]
            fixture.clock.advance(seconds: 1)
            _ = try await fixture.store.signingKeys { SigningKey(id: "unused", secret: [], createdAt: .distantPast) }
            fixture.store.addSigningKey(SigningKey(id: "rotated", secret: Array(repeating: 7, count: 32), createdAt: fixture.clock.now()))
            try await server.reloadFromStores()
            let (newer, _) = try await ScriptedClient(client).tokens(email: "carol@example.com")
            #expect(newer.split(separator: ".")[1] == "rotated" && oldKey != "rotated")
            #expect(client.accepts(newer) && client.accepts(older))
        }
    }

    @Test("A sign-in begun before a rotation finishes after it: the code, its form and the session cookie still work")
    func rotationInFlight() async throws {
        let fixture = OAuthFixture()
        let server = try await fixture.server()
        try await DirectApp(server: server).test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await browser.register()
            let codePage = try await browser.codePage()
            fixture.store.addSigningKey(SigningKey(id: "rotated", secret: Array(repeating: 9, count: 32), createdAt: fixture.clock.now()))
            try await server.reloadFromStores()
            let consent = try await browser.submit(codePage, [("code", try #require(codePage.demoCode))])
            #expect(consent.html.contains(#"name="approve" value="yes""#), "the code and the form from before the rotation")
            let redirect = try await browser.submit(consent, [("approve", "yes")])
            #expect(redirect.redirectParameters["code"] != nil, "the session cookie sealed before the rotation")
        }
    }
}
