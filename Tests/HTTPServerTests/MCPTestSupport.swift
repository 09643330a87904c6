import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import Storage
import Synchronization
import EndpointTestSupport
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

/// One HTTP answer of the MCP endpoint, with its body parsed.
struct MCPAnswer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: String
    var json: JSONValue? { try? JSONValue.parse(Array(self.body.utf8)) }
    var result: JSONValue? { self.json?["result"] }
    var errorCode: Int64? { self.json?["error"]?["code"]?.intValue }
    var structured: JSONValue? { self.result?["structuredContent"] }
    var isToolError: Bool { self.result?["isError"] == true }
    var toolText: String? { self.result?["content"].flatMap { if case .array(let items) = $0 { items.first?["text"]?.stringValue } else { nil } } }
}

extension TestClientProtocol {
    /// Sends raw bytes to the MCP endpoint.
    func mcp(
        _ method: HTTPRequest.Method = .post,
        body: String? = nil,
        token: String? = "alice",
        headers extra: HTTPFields = [:],
        contentType: String? = "application/json",
        accept: String? = "application/json, text/event-stream"
    ) async throws -> MCPAnswer {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let contentType { headers[.contentType] = contentType }
        if let accept { headers[.accept] = accept }
        for field in extra { headers[field.name] = field.value }
        return try await self.execute(uri: "/", method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            MCPAnswer(status: response.status, headers: response.headers, body: String(buffer: response.body))
        }
    }

    /// A 2026-07-28 request with every header and `_meta` field right, unless the test overrides them.
    func modern(
        _ method: String,
        params: [String: JSONValue] = [:],
        id: JSONValue = 1,
        token: String? = "alice",
        version: String = "2026-07-28",
        headers extra: HTTPFields? = nil
    ) async throws -> MCPAnswer {
        var params = params
        var meta = params["_meta"]?.objectValue ?? [:]
        if meta["io.modelcontextprotocol/protocolVersion"] == nil { meta["io.modelcontextprotocol/protocolVersion"] = .string(version) }
        if meta["io.modelcontextprotocol/clientCapabilities"] == nil { meta["io.modelcontextprotocol/clientCapabilities"] = [:] }
        meta["io.modelcontextprotocol/clientInfo"] = ["name": "tests", "version": "1"]
        params["_meta"] = .object(meta)
        var headers: HTTPFields = [.mcpProtocolVersion: version, .mcpMethod: method]
        if let name = params["name"]?.stringValue { headers[.mcpName] = name }
        if let extra { headers = extra }
        let body: JSONValue = ["jsonrpc": "2.0", "id": id, "method": .string(method), "params": .object(params)]
        return try await self.mcp(body: body.jsonString, token: token, headers: headers)
    }

    /// A 2026-07-28 `tools/call`.
    func callTool(_ name: String, _ arguments: [String: JSONValue] = [:], token: String? = "alice") async throws -> MCPAnswer {
        try await self.modern("tools/call", params: ["name": .string(name), "arguments": .object(arguments)], token: token)
    }

    /// Opens a legacy session and returns its id.
    func initialize(version: String = "2025-11-25", token: String = "alice") async throws -> String {
        let answer = try await self.mcp(
            body: JSONValue([
                "jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": ["protocolVersion": .string(version), "capabilities": [:], "clientInfo": ["name": "tests", "version": "1"]],
            ]).jsonString,
            token: token
        )
        #expect(answer.status == .ok)
        return try #require(answer.headers[.mcpSessionID])
    }

    /// A legacy request in a session.
    func legacy(
        _ method: String,
        params: [String: JSONValue] = [:],
        session: String?,
        id: JSONValue = 1,
        token: String? = "alice",
        version: String? = "2025-11-25"
    ) async throws -> MCPAnswer {
        var headers: HTTPFields = [:]
        if let session { headers[.mcpSessionID] = session }
        if let version { headers[.mcpProtocolVersion] = version }
        let body: JSONValue = ["jsonrpc": "2.0", "id": id, "method": .string(method), "params": .object(params)]
        return try await self.mcp(body: body.jsonString, token: token, headers: headers)
    }
}

extension JSONValue {
    init(_ object: [String: JSONValue]) { self = .object(object) }
}
