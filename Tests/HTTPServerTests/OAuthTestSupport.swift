import EndpointCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import OAuthKit
import Storage
import EndpointTestSupport
import OAuthTestSupport
import Testing

@testable import HTTPServer

/// A real app (with its own authorization server) on an in-memory database and a test clock.
struct OAuthFixture {
    let clock = TestClock()
    var configuration = ServerConfiguration(publicURL: URL(string: "https://todo.example.com"), databasePath: ":memory:")
    let database: AppDatabase

    init() throws { self.database = try AppDatabase.inMemory() }

    func app() async throws -> some ApplicationProtocol {
        try await buildApplication(self.configuration, dependencies: AppDependencies(now: self.clock.now, database: self.database))
    }
}

extension Data {
    init(buffer: ByteBuffer) { self.init(buffer.readableBytesView) }
}

/// Hummingbird's test client as a transport for the shared test clients.
struct HummingbirdTransport: TestTransport {
    let client: any TestClientProtocol

    func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: [UInt8]?) async throws -> TestAnswer {
        try await self.client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }) { response in
            TestAnswer(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
        }
    }
}

extension ScriptedClient {
    /// A scripted client of the whole application.
    convenience init(_ client: any TestClientProtocol, redirectURI: String = "http://127.0.0.1:33418/callback") {
        self.init(HummingbirdTransport(client: client), redirectURI: redirectURI)
    }
}
