import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import OAuthTestSupport
import MCPTestSupport
import Testing

@testable import HTTPServer

/// The whole OAuth journey of a real MCP client against the real app.
@Suite("OAuth flow")
struct OAuthFlowTests {
    @Test("Discovery → registration → login → consent → token → MCP call → refresh → revocation")
    func fullJourney() async throws {
        let fixture = try OAuthFixture()
        try await fixture.app().test(.router) { client in
            // 1. The first call is refused with a challenge naming the metadata.
            let first = try await client.mcp(token: nil)
            #expect(first.status == .unauthorized)
            let challenge = try #require(first.headers[.wwwAuthenticate])
            let metadataURL = try #require(challenge.firstMatch(of: #/resource_metadata="([^"]+)"/#).map { String($0.output.1) })
            #expect(metadataURL == "https://todo.example.com/.well-known/oauth-protected-resource")

            // 2. Protected-resource metadata names the authorization server.
            let resource = try await client.json("/.well-known/oauth-protected-resource")
            #expect(resource["resource"] as? String == "https://todo.example.com/")
            let issuer = try #require((resource["authorization_servers"] as? [String])?.first)
            #expect(issuer == "https://todo.example.com")

            // 3. Authorization-server metadata at the RFC 8414 address for that issuer.
            let metadata = try await client.json("/.well-known/oauth-authorization-server")
            #expect(metadata["issuer"] as? String == issuer)
            #expect(metadata["registration_endpoint"] as? String == "https://todo.example.com/oauth/register")

            // 4. Registration, login through the forms, consent.
            let browser = ScriptedClient(client)
            let (status, registration) = try await browser.register()
            #expect(status == .created)
            #expect(registration["client_secret"] == nil)
            let pkce = PKCEPair()
            let redirect = try await browser.signIn(email: "Ada@Example.com", pkce: pkce, state: "s-123")
            #expect(redirect.status == .seeOther)
            #expect(redirect.location?.hasPrefix("http://127.0.0.1:33418/callback?") == true)
            let parameters = redirect.redirectParameters
            #expect(parameters["state"] == "s-123")
            #expect(parameters["iss"] == issuer)
            let code = try #require(parameters["code"])

            // 5. Token.
            let (tokenStatus, tokens, tokenHeaders) = try await browser.exchange(code: code, pkce: pkce)
            #expect(tokenStatus == .ok)
            #expect(tokenHeaders[.cacheControl] == "no-store")
            #expect(tokens["token_type"] as? String == "Bearer")
            #expect(tokens["expires_in"] as? Int == 3600)
            #expect(tokens["scope"] as? String == "todos:read todos:write")
            let access = try #require(tokens["access_token"] as? String)
            let refresh = try #require(tokens["refresh_token"] as? String)

            // 6. The token works on the MCP endpoint, in both eras.
            let created = try await client.callTool("create_todo", ["title": "From OAuth"], token: access)
            #expect(created.status == .ok)
            #expect(created.structured?["title"] == "From OAuth")
            let session = try await client.initialize(token: access)
            #expect(try await client.legacy("ping", session: session, token: access).status == .ok)
            let listed = try await client.legacy("tools/call", params: ["name": "list_todos"], session: session, token: access)
            #expect(listed.structured?["todos"]?.arrayCount == 1, "the legacy era sees the todo the modern call created")

            // 7. Refresh rotates: a new pair, and the new access token works.
            let (refreshStatus, refreshed, _) = try await browser.refresh(refresh)
            #expect(refreshStatus == .ok)
            let newAccess = try #require(refreshed["access_token"] as? String)
            let newRefresh = try #require(refreshed["refresh_token"] as? String)
            #expect(newRefresh != refresh)
            #expect(try await client.callTool("list_todos", token: newAccess).structured?["todos"]?.arrayCount == 1)

            // 8. Revocation: the refresh token (and its family) and the access token stop working.
            #expect(try await client.form("/oauth/revoke", [("token", newRefresh), ("client_id", browser.clientID)]) == .ok)
            #expect(try await browser.refresh(newRefresh).0 == .badRequest)
            #expect(try await client.form("/oauth/revoke", [("token", newAccess)]) == .ok)
            #expect(try await client.callTool("list_todos", token: newAccess).status == .unauthorized)
        }
    }

    @Test("A user who approved a client before goes straight back to it")
    func consentIsRemembered() async throws {
        let fixture = try OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await browser.register()
            _ = try await browser.signIn(email: "ada@example.com", pkce: PKCEPair())
            // Same browser, same client: logged in and approved, so no page at all.
            let again = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair()))
            #expect(again.status == .found)
            #expect(again.redirectParameters["code"] != nil)
        }
    }
}

extension TestClientProtocol {
    func json(_ uri: String) async throws -> [String: Any] { try await HummingbirdTransport(client: self).json(uri) }

    func form(_ uri: String, _ fields: [(String, String)]) async throws -> HTTPResponse.Status {
        try await HummingbirdTransport(client: self).form(uri, fields)
    }
}
