import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthTestSupport
import Testing

@testable import OAuthKit

/// Discovery and registration. Item ids refer to `reference/mcp-requirements.md`; "pitfall n" to
/// `peers-and-pitfalls.md` §6.
@Suite("OAuth discovery and registration")
struct OAuthDiscoveryTests {
    @Test(
        "Protected-resource metadata at the root and every path-suffixed form (9.2–9.5, pitfall 3, 5)",
        arguments: ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/", "/.well-known/oauth-protected-resource/mcp"]
    )
    func protectedResourceMetadata(_ path: String) async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let metadata = try await client.json(path)
            #expect(metadata["resource"] as? String == "https://todo.example.com/")
            #expect(metadata["authorization_servers"] as? [String] == ["https://todo.example.com"])
            #expect(metadata["scopes_supported"] as? [String] == ["todos:read", "todos:write"], "minimal, no offline_access (9.14)")
        }
    }

    @Test(
        "Authorization-server metadata (10.2–10.4, 10.14, 10.20)",
        arguments: [
            "/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/mcp",
            "/.well-known/oauth-authorization-server/mcp/v1",
        ]
    )
    func authorizationServerMetadata(_ path: String) async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let metadata = try await client.json(path)
            #expect(metadata["issuer"] as? String == "https://todo.example.com")
            #expect(metadata["authorization_endpoint"] as? String == "https://todo.example.com/oauth/authorize")
            #expect(metadata["token_endpoint"] as? String == "https://todo.example.com/oauth/token")
            #expect(metadata["revocation_endpoint"] as? String == "https://todo.example.com/oauth/revoke")
            #expect(metadata["response_types_supported"] as? [String] == ["code"])
            #expect(metadata["grant_types_supported"] as? [String] == ["authorization_code", "refresh_token"])
            #expect(metadata["code_challenge_methods_supported"] as? [String] == ["S256"])
            #expect((metadata["token_endpoint_auth_methods_supported"] as? [String])?.contains("none") == true)
            #expect(metadata["authorization_response_iss_parameter_supported"] as? Bool == true)
            #expect(metadata["client_id_metadata_document_supported"] is Bool)
            #expect(metadata["scopes_supported"] as? [String] == ["todos:read", "todos:write"])
        }
    }

    @Test(
        "No OpenID Connect discovery document: no ID tokens are issued, and OAuth metadata there would be invalid OIDC",
        arguments: ["/.well-known/openid-configuration", "/.well-known/openid-configuration/mcp", "/mcp/.well-known/openid-configuration"]
    )
    func noOpenIDConfiguration(_ path: String) async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .notFound, "\(path)")
                #expect(!response.text.contains("authorization_endpoint"))
            }
        }
    }

    @Test("Metadata needs no token and answers CORS, preflight included (pitfall 4, 7)")
    func metadataIsOpenToBrowsers() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-authorization-server", "/oauth/token", "/oauth/register"] {
                try await client.execute(uri: path, method: .options, headers: [.origin: "http://localhost:6274"]) { response in
                    #expect(response.status == .noContent, "\(path)")
                    #expect(response.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "*")
                }
            }
            try await client.execute(uri: "/.well-known/oauth-protected-resource", method: .get, headers: [.origin: "http://localhost:6274"]) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "*")
            }
        }
    }

    @Test("Registration makes a public client and never invents a secret (pitfall 12)")
    func registration() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let body =
                #"{"client_name":"Cursor","redirect_uris":["cursor://anysphere.cursor-mcp/oauth/callback"],"token_endpoint_auth_method":"client_secret_post","software_id":"x","logo_uri":"https://x.example/l.png","application_type":"native"}"#
            let (status, json) = try await client.rawRegister(body)
            #expect(status == .created)
            #expect(json["client_secret"] == nil)
            #expect(json["token_endpoint_auth_method"] as? String == "none")
            #expect(json["redirect_uris"] as? [String] == ["cursor://anysphere.cursor-mcp/oauth/callback"])
            #expect((json["client_id"] as? String)?.isEmpty == false)
            _ = browser
        }
    }

    @Test("Registering the same metadata again returns the same client (unbounded DCR)")
    func registrationIsIdempotent() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let first = ScriptedClient(client)
            let second = ScriptedClient(client)
            _ = try await first.register()
            _ = try await second.register()
            #expect(first.clientID == second.clientID)
            let third = ScriptedClient(client)
            _ = try await third.register(name: "Other app")
            #expect(third.clientID != first.clientID)
        }
    }

    @Test(
        "Bad registrations get a clear error",
        arguments: [
            (#"{"redirect_uris":["javascript:alert(1)"]}"#, "invalid_redirect_uri"),
            (#"{"redirect_uris":["http://evil.example/cb"]}"#, "invalid_redirect_uri"),
            (#"{"redirect_uris":["https://ok.example/cb#x"]}"#, "invalid_redirect_uri"),
            (#"{"redirect_uris":[]}"#, "invalid_redirect_uri"),
            (#"{"client_name":"x"}"#, "invalid_redirect_uri"),
            (#"{"redirect_uris":["https://ok.example/cb"],"grant_types":["client_credentials"]}"#, "invalid_client_metadata"),
            (#"not json"#, "invalid_client_metadata"),
            (#"["https://ok.example/cb"]"#, "invalid_client_metadata"),
            (#"{"redirect_uris":["https://ok.example/cb"],"client_name":"App\u0000"}"#, "invalid_client_metadata"),
            (#"{"redirect_uris":["https://ok.example/cb"],"client_name":"\u001b[2JApp"}"#, "invalid_client_metadata"),
        ]
    )
    func badRegistrations(_ body: String, _ error: String) async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let (status, json) = try await client.rawRegister(body)
            #expect(status == .badRequest)
            #expect(json["error"] as? String == error)
            #expect((json["error_description"] as? String)?.isEmpty == false)
        }
    }
}

/// What clients without discovery, or with their own URL habits, do.
@Suite("OAuth compatibility")
struct OAuthCompatibilityTests {
    @Test("The default endpoints /authorize, /token and /register work too (9.17, pitfall 3)")
    func defaultPaths() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let (status, _) = try await client.execute(
                uri: "/register",
                method: .post,
                headers: [.contentType: "application/json"],
                body: #"{"client_name":"Old","redirect_uris":["http://127.0.0.1/callback"]}"#
            ) { response in
                let json = response.json
                browser.clientID = json["client_id"] as? String ?? ""
                return (response.status, json)
            }
            #expect(status == .created)
            let pkce = PKCEPair()
            let page = try await browser.browse(
                .get,
                browser.authorizeURI(pkce: pkce).replacingOccurrences(of: "/oauth/authorize", with: "/authorize")
            )
            #expect(page.status == .ok)
            #expect(page.html.contains(#"name="email""#))
            let redirect = try await browser.signIn(email: "ada@example.com", pkce: pkce)
            let code = try #require(redirect.redirectParameters["code"])
            try await client.execute(
                uri: "/token",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: formEncode([
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", browser.redirectURI), ("client_id", browser.clientID),
                    ("code_verifier", pkce.verifier),
                ])
            ) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test(
        "The resource is accepted with or without the trailing slash of a host-only URL (pitfall 5)",
        arguments: ["https://todo.example.com", "https://todo.example.com/"]
    )
    func resourceSlash(_ resource: String) async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await browser.register()
            let pkce = PKCEPair()
            let uri = browser.authorizeURI(pkce: pkce).replacingOccurrences(
                of: "resource=https%3A%2F%2Ftodo.example.com%2F",
                with: "resource=" + formEncode([("r", resource)]).dropFirst(2)
            )
            var page = try await browser.browse(.get, uri)
            #expect(page.status == .ok, "\(page.location ?? "")")
            page = try await browser.submit(page, [("email", "ada@example.com")])
            page = try await browser.submit(page, [("code", try #require(page.demoCode))])
            page = try await browser.submit(page, [("approve", "yes")])
            let (status, _, _) = try await browser.token([
                ("grant_type", "authorization_code"), ("code", try #require(page.redirectParameters["code"])), ("redirect_uri", browser.redirectURI),
                ("client_id", browser.clientID), ("code_verifier", pkce.verifier), ("resource", resource),
            ])
            #expect(status == .ok)
        }
    }
}
