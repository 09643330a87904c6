import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import Storage
import Synchronization
import EndpointTestSupport
import MCPTestSupport
import OAuthTestSupport
import Testing
import TodoDomain

@testable import HTTPServer

/// Accepts the tokens it was given, each standing for a principal.
struct FakeAuthenticator: BearerAuthenticator {
    var tokens: [String: Principal]

    func authenticate(token: String) async -> Principal? { self.tokens[token] }
}

/// Two users with tokens of every scope combination, on a fresh in-memory database.
struct MCPFixture {
    static let allScopes: Set<String> = ["todos:read", "todos:write"]

    let database: AppDatabase
    let clock = TestClock()
    let alice: UserID
    let bob: UserID
    let authenticator: FakeAuthenticator
    var configuration = ServerConfiguration(
        publicURL: URL(string: "https://todo.example.com"),
        databasePath: ":memory:",
        allowedOrigins: ["http://localhost:6274"],
        maxRequestBytes: 4_096
    )

    init(database: AppDatabase? = nil) async throws {
        self.database = try database ?? AppDatabase.inMemory()
        let users = SQLiteUserRepository(self.database)
        self.alice = try await users.findOrCreateUser(email: "alice@example.com")
        self.bob = try await users.findOrCreateUser(email: "bob@example.com")
        self.authenticator = FakeAuthenticator(tokens: [
            "alice": Principal(subject: self.alice.rawValue, scopes: Self.allScopes),
            "bob": Principal(subject: self.bob.rawValue, scopes: Self.allScopes),
            "alice-read": Principal(subject: self.alice.rawValue, scopes: ["todos:read"]),
            "alice-none": Principal(subject: self.alice.rawValue, scopes: []),
        ])
    }

    func app() async throws -> some ApplicationProtocol {
        try await buildApplication(
            self.configuration,
            dependencies: AppDependencies(authenticator: self.authenticator, now: self.clock.now, database: self.database)
        )
    }
}

/// Hummingbird's test client speaks MCP through the shared helpers.
extension TestClientProtocol {
    func mcp(
        _ method: HTTPRequest.Method = .post,
        body: String? = nil,
        token: String? = "alice",
        headers: HTTPFields = [:],
        contentType: String? = "application/json",
        accept: String? = "application/json, text/event-stream"
    ) async throws -> MCPAnswer {
        try await HummingbirdTransport(client: self).mcp(method, body: body, token: token, headers: headers, contentType: contentType, accept: accept)
    }

    func modern(
        _ method: String,
        params: [String: JSONValue] = [:],
        id: JSONValue = 1,
        token: String? = "alice",
        version: String = "2026-07-28",
        headers: HTTPFields? = nil
    ) async throws -> MCPAnswer {
        try await HummingbirdTransport(client: self).modern(method, params: params, id: id, token: token, version: version, headers: headers)
    }

    func callTool(_ name: String, _ arguments: [String: JSONValue] = [:], token: String? = "alice") async throws -> MCPAnswer {
        try await HummingbirdTransport(client: self).callTool(name, arguments, token: token)
    }

    func initialize(version: String = "2025-11-25", token: String = "alice") async throws -> String {
        try await HummingbirdTransport(client: self).initialize(version: version, token: token)
    }

    func legacy(
        _ method: String,
        params: [String: JSONValue] = [:],
        session: String?,
        id: JSONValue = 1,
        token: String? = "alice",
        version: String? = "2025-11-25"
    ) async throws -> MCPAnswer {
        try await HummingbirdTransport(client: self).legacy(method, params: params, session: session, id: id, token: token, version: version)
    }
}
