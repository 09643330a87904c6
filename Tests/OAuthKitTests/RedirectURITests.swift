import Testing

@testable import OAuthKit

/// Redirect URIs at registration and at authorization (peers-and-pitfalls §6 items 1 and 2).
@Suite("Redirect URIs")
struct RedirectURITests {
    @Test(arguments: [
        "https://claude.ai/api/mcp/auth_callback",
        "https://app.example.com/cb?x=1",
        "http://localhost/callback",
        "http://localhost:33418/callback",
        "http://127.0.0.1:8976/oauth/callback",
        "http://[::1]:9000/cb",
        "cursor://anysphere.cursor-mcp/oauth/callback",
        "vscode://vscode.github-authentication/did-authenticate",
        "com.example.app:/oauth2redirect",
    ])
    func accepted(_ uri: String) throws {
        try RedirectURI.validateForRegistration(uri)
    }

    @Test(arguments: [
        "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "vbscript:msgbox",
        "https://app.example.com/cb#frag", "http://app.example.com/cb", "http://192.168.1.10/cb", "http://localhost.evil.example/cb",
        "https://", "not a uri", "/relative/path", "", "https://user:pw@app.example.com/cb", "cursor:",
        "http://evil@127.0.0.1:9/cb", "http://user:pw@localhost/cb", "http://127.0.0.1:port/cb", "http://127.0.0.1@evil.example/cb",
    ])
    func refused(_ uri: String) {
        let error = #expect(throws: OAuthError.self) { try RedirectURI.validateForRegistration(uri) }
        #expect(error?.code == .invalidRedirectURI)
        #expect(error?.description.isEmpty == false)
    }

    @Test func loopbackMatchesOnAnyPort() {
        let registered = ["http://127.0.0.1/callback", "http://localhost:1234/callback", "https://app.example.com/cb"]
        #expect(RedirectURI.matches("http://127.0.0.1:50123/callback", registered: registered))
        #expect(RedirectURI.matches("http://127.0.0.1/callback", registered: registered))
        #expect(RedirectURI.matches("http://localhost:9/callback", registered: registered))
        #expect(RedirectURI.matches("https://app.example.com/cb", registered: registered))
    }

    @Test func everythingElseMatchesExactly() {
        let registered = ["http://127.0.0.1/callback", "https://app.example.com/cb", "cursor://anysphere.cursor-mcp/oauth/callback"]
        #expect(!RedirectURI.matches("http://127.0.0.1:50123/other", registered: registered), "path must match")
        #expect(!RedirectURI.matches("http://localhost:50123/callback", registered: registered), "localhost is not 127.0.0.1")
        #expect(!RedirectURI.matches("https://app.example.com:8443/cb", registered: registered), "https port must match")
        #expect(!RedirectURI.matches("https://app.example.com/cb/", registered: registered))
        #expect(!RedirectURI.matches("https://APP.example.com/cb", registered: registered))
        #expect(!RedirectURI.matches("https://app.example.com/cb?x=1", registered: registered))
        #expect(!RedirectURI.matches("cursor://anysphere.cursor-mcp/oauth/callback2", registered: registered))
        #expect(RedirectURI.matches("cursor://anysphere.cursor-mcp/oauth/callback", registered: registered))
    }

    @Test(arguments: [
        "http://evil@127.0.0.1:9/callback", "http://evil@127.0.0.1/callback", "http://u:p@127.0.0.1:9/callback",
        "http://127.0.0.1:9@evil.example/callback", "http://127.0.0.1:9:9/callback", "http://127.0.0.1:/callback",
        "http://127.0.0.1:99999999/callback", "http://127.0.0.1:9/callback#x", "http://127.0.0.1:9/callback/../callback",
        "http://127.0.0.1:9/Callback", "http://127.0.0.1:9/callback?x=1", "http://127.0.0.1:+9/callback", "http://127.0.0.1:٩/callback",
    ])
    func onlyThePortMayVary(_ requested: String) {
        #expect(!RedirectURI.matches(requested, registered: ["http://127.0.0.1/callback", "http://127.0.0.1:9/callback?"]))
    }

    @Test("Canonically equivalent text is not the same redirect URI: compared byte for byte")
    func canonicalEquivalentsDoNotMatch() {
        #expect("https://app.example.com/cb;x" == "https://app.example.com/cb\u{37E}x", "String equality would match")
        #expect(!RedirectURI.matches("https://app.example.com/cb\u{37E}x", registered: ["https://app.example.com/cb;x"]))
        #expect(!RedirectURI.matches("http://127.0.0.1:9/\u{212A}", registered: ["http://127.0.0.1/K"]))
    }

    @Test func ipv6LoopbackMatchesOnAnyPort() {
        #expect(RedirectURI.matches("http://[::1]:5000/cb", registered: ["http://[::1]:9000/cb"]))
        #expect(!RedirectURI.matches("http://x@[::1]:5000/cb", registered: ["http://[::1]:9000/cb"]))
    }

    @Test func consentShowsWhereTheRedirectGoes() {
        #expect(RedirectURI.displayHost("https://claude.ai/api/mcp/auth_callback") == "claude.ai")
        #expect(RedirectURI.displayHost("http://127.0.0.1:8976/cb") == "127.0.0.1:8976")
        #expect(RedirectURI.displayHost("cursor://anysphere.cursor-mcp/oauth/callback") == "anysphere.cursor-mcp")
        #expect(RedirectURI.displayHost("com.example.app:/oauth2redirect") == "com.example.app:")
    }
}
