import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import EndpointTestSupport
import OAuthTestSupport
import Testing

@testable import HTTPServer

/// The client address that rate limits count, as the server works it out behind proxies.
@Suite("Client addresses")
struct ClientAddressTests {
    @Test("X-Forwarded-For counts only from a trusted proxy")
    func clientAddress() {
        let resolver = ClientAddressResolver(trustedProxies: ["10.0.0.1", "10.0.0.2"])
        #expect(resolver.address(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"]) == "203.0.113.9", "an untrusted peer cannot claim an address")
        #expect(resolver.address(peer: "10.0.0.1", forwardedFor: ["1.2.3.4"]) == "1.2.3.4")
        #expect(resolver.address(peer: "10.0.0.1", forwardedFor: ["6.6.6.6, 1.2.3.4, 10.0.0.2"]) == "1.2.3.4", "the nearest untrusted hop")
        #expect(resolver.address(peer: "10.0.0.1", forwardedFor: []) == "10.0.0.1")
        #expect(resolver.address(peer: nil, forwardedFor: ["1.2.3.4"]) == "unknown")
    }

    @Test("A stranger asking for codes for someone's address cannot lock that person out")
    func strangerCannotLockOut() async throws {
        var fixture = try OAuthFixture()
        fixture.configuration.trustedProxies = ["127.0.0.1"]
        let clock = fixture.clock
        try await fixture.app().test(.live) { client in
            let stranger = ScriptedClient(client)
            stranger.forwardedFor = "203.0.113.66"
            let page = try await stranger.emailPage()
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<12 {
                statuses.append(try await stranger.submit(page, [("email", "ada@example.com")]).status)
                clock.advance(seconds: 20)
            }
            #expect(statuses.contains(.tooManyRequests), "the stranger is limited")
            let person = ScriptedClient(client)
            person.clientID = stranger.clientID
            person.forwardedFor = "198.51.100.7"
            let codePage = try await person.submit(
                try await person.browse(.get, person.authorizeURI(pkce: PKCEPair())),
                [("email", "ada@example.com")]
            )
            #expect(codePage.status == .ok)
            #expect(codePage.demoCode != nil, "the person still gets a code from their own address")
        }
    }
}
