import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthTestSupport
import Testing

@testable import OAuthKit

/// The transport-neutral entry point: one path table, mounted anywhere, deciding every answer.
@Suite("OAuth entry point")
struct EntryPointTests {
    /// A server mounted at `/auth` of `https://example.com`, protecting `https://example.com/mcp`.
    static func mounted() -> OAuthFixture {
        var fixture = OAuthFixture()
        fixture.configuration = OAuthConfiguration(issuer: "https://example.com/auth", resource: "https://example.com/mcp", scopes: OAuthFixture.scopes, mountPath: "/auth")
        return fixture
    }

    @Test("Mounted under /auth: the metadata names the mounted endpoints, at the well-known forms of the mount point")
    func mountedMetadata() async throws {
        try await Self.mounted().app().test(.router) { client in
            for path in ["/.well-known/oauth-authorization-server/auth", "/auth/.well-known/oauth-authorization-server"] {
                let metadata = try await client.json(path)
                #expect(metadata["issuer"] as? String == "https://example.com/auth")
                #expect(metadata["authorization_endpoint"] as? String == "https://example.com/auth/oauth/authorize")
                #expect(metadata["token_endpoint"] as? String == "https://example.com/auth/oauth/token")
                #expect(metadata["registration_endpoint"] as? String == "https://example.com/auth/oauth/register")
                #expect(metadata["revocation_endpoint"] as? String == "https://example.com/auth/oauth/revoke")
            }
            let resource = try await client.json("/.well-known/oauth-protected-resource/mcp")
            #expect(resource["resource"] as? String == "https://example.com/mcp")
            #expect(resource["authorization_servers"] as? [String] == ["https://example.com/auth"])
        }
    }

    @Test("Mounted under /auth: a client registers, signs in and gets tokens for the mounted resource; the unmounted paths are not served")
    func mountedFlow() async throws {
        let app = try await Self.mounted().app()
        try await app.test(.router) { client in
            let browser = ScriptedClient(client)
            browser.mountPath = "/auth"
            browser.resource = "https://example.com/mcp"
            let (access, _) = try await browser.tokens()
            #expect(app.server.verifyAccessToken(access)?.audience == "https://example.com/mcp")
            let redirect = try await browser.signIn(email: "ada@example.com", pkce: PKCEPair())
            #expect(redirect.redirectParameters["iss"] == "https://example.com/auth")

            #expect(try await client.rawRegister(#"{"redirect_uris":["http://127.0.0.1/cb"]}"#).0 == .notFound)
            #expect(try await client.form("/oauth/token", [("grant_type", "refresh_token")]) == .notFound)
        }
    }

    @Test("Root aliases are served at the root mount, and under a prefix only when asked for; paths compare as routers do")
    func rootAliasesAndPaths() {
        var configuration = OAuthConfiguration(issuer: "https://example.com/auth", resource: "https://example.com/mcp", scopes: OAuthFixture.scopes, mountPath: "auth//")
        #expect(configuration.mountPath == "/auth")
        var paths = OAuthPaths(configuration)
        #expect(paths.endpoint(at: "/token") == nil && paths.endpoint(at: "/authorize") == nil && paths.endpoint(at: "/register") == nil)
        configuration.servesRootAliases = true
        paths = OAuthPaths(configuration)
        #expect(paths.endpoint(at: "/token") == .token && paths.endpoint(at: "/authorize") == .authorization)
        #expect(paths.endpoint(at: "/auth/oauth/token") == .token)
        #expect(paths.endpoint(at: "/auth/oauth/token/") == .token && paths.endpoint(at: "//auth//oauth/token") == .token)
        #expect(paths.endpoint(at: "/auth/oauth/tokens") == nil, "no prefix matching beyond the well-known forms")
        #expect(paths.endpoint(at: "/authx/oauth/token") == nil && paths.endpoint(at: "/auth/../oauth/token") == nil)
        #expect(paths.endpoint(at: "/.well-known/oauth-authorization-server/anything/below") == .authorizationServerMetadata)
        #expect(OAuthPaths(OAuthFixture().configuration).endpoint(at: "/token") == .token, "at the root, the aliases are on")
    }

    @Test("The forms post back to the path that served the page: the mount point, or the alias a client used")
    func formActions() async throws {
        try await Self.mounted().app().test(.router) { client in
            let browser = ScriptedClient(client)
            browser.mountPath = "/auth"
            browser.resource = "https://example.com/mcp"
            let page = try await browser.emailPage()
            #expect(page.formAction == "/auth/oauth/authorize")
        }
        try await OAuthFixture().app().test(.router) { client in
            let browser = ScriptedClient(client)
            _ = try await browser.register()
            let page = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair()).replacingOccurrences(of: "/oauth/authorize", with: "/authorize"))
            #expect(page.formAction == "/authorize")
            let next = try await browser.submit(page, [("email", "ada@example.com")])
            #expect(next.demoCode != nil && next.formAction == "/authorize")
        }
    }

    @Test(
        "A configuration the server cannot work with is refused at start, saying why",
        arguments: [
            ([ScopeDefinition("a b", explanation: "x")], nil, "https://example.com", "", "spaces"),
            ([ScopeDefinition("a\"b", explanation: "x")], nil, "https://example.com", "", "quotes"),
            ([ScopeDefinition("", explanation: "x")], nil, "https://example.com", "", "printable"),
            ([ScopeDefinition("read", explanation: "x"), ScopeDefinition("read", explanation: "y")], nil, "https://example.com", "", "twice"),
            ([], nil, "https://example.com", "", "at least one"),
            ([ScopeDefinition("read", explanation: "x")], ["write"] as [Scope]?, "https://example.com", "", "not among"),
            ([ScopeDefinition("read", explanation: "x")], [] as [Scope]?, "https://example.com", "", "empty"),
            ([ScopeDefinition("read", explanation: "x")], nil, "https://example.com/", "", "trailing slash"),
            ([ScopeDefinition("read", explanation: "x")], nil, "example.com", "", "absolute"),
            ([ScopeDefinition("read", explanation: "x")], nil, "https://example.com/other", "/auth", "mount path"),
        ] as [([ScopeDefinition], [Scope]?, String, String, String)]
    )
    func invalidConfigurations(_ scopes: [ScopeDefinition], _ defaults: [Scope]?, _ issuer: String, _ mount: String, _ complaint: String) async {
        let configuration = OAuthConfiguration(issuer: issuer, resource: "https://example.com/mcp", scopes: scopes, mountPath: mount, defaultScopes: defaults)
        let error = await #expect(throws: OAuthConfigurationError.self) {
            try await AuthorizationServer.make(configuration: configuration, store: InMemoryOAuthStore())
        }
        #expect(error?.description.contains(complaint) == true, "\(error?.description ?? "")")
    }

    /// Calls the entry point directly, bypassing the route check a host makes.
    static func call(_ server: AuthorizationServer, _ method: HTTPRequest.Method, _ path: String, body: [UInt8] = [], headers: HTTPFields = [:]) async
        -> EndpointResponse
    {
        await server.handle(
            HTTPRequest(method: method, scheme: "https", authority: "example.com", path: path, headerFields: headers),
            body: BufferedBody(body),
            origin: RequestOrigin(clientAddress: "192.0.2.1")
        )
    }

    @Test("Paths outside the table get 404 and wrong methods 405 with Allow, both as OAuth errors")
    func unknownPathsAndMethods() async throws {
        let server = try await OAuthFixture().server()
        let missing = await Self.call(server, .get, "/nothing/here")
        #expect(missing.status == .notFound)
        #expect(String(decoding: missing.body, as: UTF8.self).contains(#""error":"invalid_request""#))
        let wrong = await Self.call(server, .delete, "/oauth/token")
        #expect(wrong.status == .methodNotAllowed)
        #expect(wrong.headerFields[.allow] == "POST, OPTIONS")
        let wrongAuthorize = await Self.call(server, .put, "/oauth/authorize")
        #expect(wrongAuthorize.headerFields[.allow] == "GET, POST")
    }

    @Test("Bodies over the limit get 413: JSON for the API endpoints, a page for the sign-in form")
    func oversizedBodies() async throws {
        var fixture = OAuthFixture()
        fixture.configuration.maxBodyBytes = 100
        let server = try await fixture.server()
        let big = Array(repeating: UInt8(ascii: "a"), count: 101)
        for path in ["/oauth/token", "/oauth/register", "/oauth/revoke"] {
            let answer = await Self.call(server, .post, path, body: big, headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(answer.status == .contentTooLarge, "\(path)")
            #expect(answer.headerFields[.contentType] == "application/json")
        }
        let form = await Self.call(server, .post, "/oauth/authorize", body: big, headers: [.contentType: "application/x-www-form-urlencoded"])
        #expect(form.status == .contentTooLarge)
        #expect(form.headerFields[.contentType] == "text/html; charset=utf-8")
        #expect(form.headerFields[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
        let fits = await Self.call(server, .post, "/oauth/token", body: Array(big.dropFirst()), headers: [.contentType: "application/x-www-form-urlencoded"])
        #expect(fits.status == .badRequest, "a body at the limit is read and judged")
    }

    @Test("Pages carry the security headers; a redirect of a form POST is 303, of a GET 302")
    func pageHeadersAndRedirects() async throws {
        try await OAuthFixture().app().test(.router) { client in
            let browser = ScriptedClient(client)
            let page = try await browser.emailPage()
            #expect(page.headers[.xFrameOptions] == "DENY")
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[.cacheControl] == "no-store")
            let redirect = try await browser.signIn(email: "ada@example.com", pkce: PKCEPair())
            #expect(redirect.status == .seeOther)
            let again = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair()))
            #expect(again.status == .found, "signed in and consented: straight back")
        }
    }

    struct PlainPages: SignInPageRenderer {
        func render(_ page: SignInPage) -> String {
            switch page {
            case .error(let title, _): "custom error: " + HTMLEscaping.escape(title)
            case .step(let page): "custom \(page.step.rawValue) for " + HTMLEscaping.escape(page.clientName)
            case .account(let page): "custom \(page.step.rawValue)"
            }
        }
    }

    @Test("An embedder's page renderer replaces the built-in pages")
    func customPages() async throws {
        let fixture = OAuthFixture()
        let server = try await AuthorizationServer.make(
            configuration: fixture.configuration,
            store: fixture.store,
            pages: PlainPages(),
            environment: OAuthEnvironment(now: fixture.clock.now)
        )
        let browser = ScriptedClient(EndpointTestClient([server]))
        _ = try await browser.register(name: "<Mine>")
        let page = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair()))
        #expect(page.html == "custom email for &lt;Mine&gt;")
        let error = try await browser.browse(.get, "/oauth/authorize?client_id=nobody")
        #expect(error.html == "custom error: Unknown client")
    }

    @Test("The embedder's scopes and resource name are the ones offered, explained and granted")
    func embedderScopes() async throws {
        var fixture = OAuthFixture()
        fixture.configuration = OAuthConfiguration(
            issuer: "https://todo.example.com",
            resource: "https://todo.example.com/",
            scopes: [ScopeDefinition("notes:read", explanation: "Read your <notes>"), ScopeDefinition("notes:write", explanation: "Write notes")],
            resourceName: "Notes",
            defaultScopes: ["notes:read"]
        )
        let app = try await fixture.app()
        try await app.test(.router) { client in
            let resource = try await client.json("/.well-known/oauth-protected-resource")
            #expect(resource["scopes_supported"] as? [String] == ["notes:read", "notes:write"])
            #expect(resource["resource_name"] as? String == "Notes")
            #expect(try await client.json("/.well-known/oauth-authorization-server")["scopes_supported"] as? [String] == ["notes:read", "notes:write"])

            let browser = ScriptedClient(client)
            let (_, registration) = try await browser.register()
            #expect(registration["scope"] as? String == "notes:read notes:write")
            var page = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair(), scope: "todos:read notes:write"))
            page = try await browser.submit(page, [("email", "ada@example.com")])
            page = try await browser.submit(page, [("code", try #require(page.demoCode))])
            #expect(page.html.contains("<li>Write notes</li>") && !page.html.contains("<li>todos"), "only known scopes are asked for")

            let fresh = ScriptedClient(client)
            let (code, pkce) = try await fresh.authorizationCode(scope: nil)
            let (_, tokens, _) = try await fresh.exchange(code: code, pkce: pkce)
            #expect(tokens["scope"] as? String == "notes:read", "no scope asked: the default scopes")
            #expect(app.server.verifyAccessToken(try #require(tokens["access_token"] as? String))?.scopes == ["notes:read"])
        }
    }
}
