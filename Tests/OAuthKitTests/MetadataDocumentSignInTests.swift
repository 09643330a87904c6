import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthTestSupport
import Testing

@testable import OAuthKit

/// Clients identified by a metadata-document URL, through the whole sign-in.
@Suite("Client ID Metadata Document sign-in")
struct MetadataDocumentSignInTests {
    static let clientID = "https://client.example.com/oauth/metadata.json"

    struct StaticFetcher: ClientMetadataFetcher {
        var documents: [String: String]
        func fetch(_ url: URL) async throws -> FetchedDocument {
            guard let body = self.documents[url.absoluteString] else { throw ClientMetadataFetchError("the server answered 404") }
            return FetchedDocument(body: Array(body.utf8), maxAge: nil)
        }
    }

    func app(_ documents: [String: String]) async throws -> (DirectApp, OAuthFixture) {
        var fixture = OAuthFixture()
        fixture.metadataFetcher = StaticFetcher(documents: documents)
        return (try await fixture.app(), fixture)
    }

    @Test("A metadata-document client signs in and gets tokens without registering")
    func documentClient() async throws {
        let document = #"{"client_id":"\#(Self.clientID)","client_name":"Doc Client","redirect_uris":["http://127.0.0.1/callback"]}"#
        let (app, _) = try await self.app([Self.clientID: document])
        try await app.test(.router) { client in
            let metadata = try await client.json("/.well-known/oauth-authorization-server")
            #expect(metadata["client_id_metadata_document_supported"] as? Bool == true)

            let browser = ScriptedClient(client, redirectURI: "http://127.0.0.1:40000/callback")
            browser.clientID = Self.clientID
            let pkce = PKCEPair()
            var page = try await browser.browse(.get, browser.authorizeURI(pkce: pkce))
            page = try await browser.submit(page, [("email", "ada@example.com")])
            page = try await browser.submit(page, [("code", try #require(page.demoCode))])
            #expect(page.html.contains("Doc Client"))
            page = try await browser.submit(page, [("approve", "yes")])
            let code = try #require(page.redirectParameters["code"])
            let (status, tokens, _) = try await browser.exchange(code: code, pkce: pkce)
            #expect(status == .ok)
            #expect(tokens["access_token"] is String)
        }
    }

    @Test(
        "A document that is missing or does not describe itself stops the sign-in with an error page",
        arguments: [
            #"{"client_id":"https://evil.example.com/x.json","client_name":"Doc","redirect_uris":["http://127.0.0.1/callback"]}"#,
            #"{"client_id":"\#(clientID)","redirect_uris":["http://127.0.0.1/callback"]}"#,
            #"not json"#,
            nil,
        ] as [String?]
    )
    func badDocuments(_ document: String?) async throws {
        let (app, _) = try await self.app(document.map { [Self.clientID: $0] } ?? [:])
        try await app.test(.router) { client in
            let browser = ScriptedClient(client, redirectURI: "http://127.0.0.1:40000/callback")
            browser.clientID = Self.clientID
            let page = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair()))
            #expect(page.status == .badRequest)
            #expect(page.location == nil)
        }
    }

    @Test("A redirect URI the document does not list is refused")
    func unlistedRedirect() async throws {
        let document = #"{"client_id":"\#(Self.clientID)","client_name":"Doc","redirect_uris":["https://client.example.com/cb"]}"#
        let (app, _) = try await self.app([Self.clientID: document])
        try await app.test(.router) { client in
            let browser = ScriptedClient(client, redirectURI: "https://evil.example/cb")
            browser.clientID = Self.clientID
            let page = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair()))
            #expect(page.status == .badRequest)
            #expect(page.location == nil)
        }
    }

    @Test("Fetches of uncached documents are limited per client address")
    func fetchesAreRateLimited() async throws {
        let (app, _) = try await self.app([:])
        try await app.test(.router) { client in
            let browser = ScriptedClient(client, redirectURI: "http://127.0.0.1:40000/callback")
            var statuses: [String] = []
            for index in 0..<12 {
                browser.clientID = "https://client\(index).example.com/metadata.json"
                let page = try await browser.browse(.get, browser.authorizeURI(pkce: PKCEPair()))
                #expect(page.status == .badRequest)
                statuses.append(page.html.contains("Too many") ? "limited" : "fetched")
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == "fetched" })
            #expect(statuses.suffix(2).allSatisfy { $0 == "limited" })
        }
    }
}
