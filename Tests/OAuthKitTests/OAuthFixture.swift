import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import OAuthKit
import OAuthTestSupport
import Testing

/// An authorization server on an in-memory store and a test clock, driven through its HTTP entry
/// point exactly as a host server drives it.
struct OAuthFixture {
    static let scopes = [
        ScopeDefinition("todos:read", explanation: "Read your todos"),
        ScopeDefinition("todos:write", explanation: "Create, change, complete and delete your todos"),
    ]

    let clock = TestClock()
    var configuration = OAuthConfiguration(issuer: "https://todo.example.com", resource: "https://todo.example.com/", scopes: OAuthFixture.scopes)
    var signingKeys: [SigningKey] = []
    var metadataFetcher: (any ClientMetadataFetcher)?
    var delivery: any LoginCodeDelivery = DemoCodeDelivery()
    var accountData: (any AccountDataProvider)?
    var limits = RateLimits()
    let store = InMemoryOAuthStore()

    /// The server, built anew on the same store (as after a restart).
    func server() async throws -> AuthorizationServer {
        try await AuthorizationServer.make(
            configuration: self.configuration,
            store: self.store,
            configuredKeys: self.signingKeys,
            delivery: self.delivery,
            metadataFetcher: self.metadataFetcher,
            accountData: self.accountData,
            environment: OAuthEnvironment(now: self.clock.now),
            limits: self.limits
        )
    }

    /// The server behind a client that calls its HTTP entry point.
    func app() async throws -> DirectApp { DirectApp(server: try await self.server()) }
}

/// An authorization server and a client for it, in the shape of Hummingbird's `app.test(.router)`.
struct DirectApp {
    enum Mode { case router }

    let server: AuthorizationServer

    func test<Value>(_ mode: Mode, _ body: (OAuthTestClient) async throws -> Value) async throws -> Value {
        try await body(OAuthTestClient(server: self.server))
    }
}

/// Calls the server's HTTP entry point, and checks access tokens as a resource server does.
struct OAuthTestClient: TestTransport {
    let server: AuthorizationServer

    func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: [UInt8]?) async throws -> TestAnswer {
        try await EndpointTestClient([self.server]).send(uri: uri, method: method, headers: headers, body: body)
    }

    /// Whether the resource server accepts `token`.
    func accepts(_ token: String) -> Bool { self.server.verifyAccessToken(token) != nil }

    /// The scopes `token` grants, if the resource server accepts it.
    func scopes(of token: String) -> [String]? { self.server.verifyAccessToken(token)?.scopes }
}
