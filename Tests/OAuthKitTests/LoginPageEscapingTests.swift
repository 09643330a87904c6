import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthTestSupport
import Testing

@testable import OAuthKit

/// The real login pages escape what clients send.
@Suite("Login page escaping")
struct LoginPageEscapingTests {
    @Test("A hostile client_name and state on the real login pages are escaped")
    func loginPages() async throws {
        let fixture = OAuthFixture()
        try await fixture.app().test(.router) { client in
            let browser = ScriptedClient(client)
            let hostile = "\"\u{301}><\u{301}script>alert(1)</script>\u{600}\"x"
            #expect(try await browser.register(name: hostile).0 == .created)
            let page = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair(), state: hostile))
            #expect(page.status == .ok)
            #expect(!page.html.contains("<\u{301}script") && !page.html.contains("<script"))
            #expect(!page.html.contains("\"\u{301}") && !page.html.contains("\u{600}\""))
            #expect(page.html.contains("&quot;\u{301}&gt;&lt;\u{301}script&gt;"))
            // The state survives the round trip through the hidden fields unchanged.
            #expect(page.firstFormFields.first { $0.0 == "state" }?.1 == hostile)
        }
    }
}
