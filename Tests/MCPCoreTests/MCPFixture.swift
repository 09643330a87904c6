import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import MCPCore
import MCPTestSupport
import Synchronization
import Testing

/// Accepts the tokens it was given, each standing for a principal.
struct FakeAuthenticator: BearerAuthenticator {
    var tokens: [String: Principal]

    func authenticate(token: String) async -> Principal? { self.tokens[token] }
}

/// Notes kept in memory per user: the state behind the stand-in tools.
final class NoteBook: Sendable {
    let notes = Mutex<[String: [String]]>([:])

    var count: Int { self.notes.withLock { $0.values.map(\.count).reduce(0, +) } }
}

/// An MCP endpoint built directly, with a stand-in tool set shaped like a todo list (a read tool
/// with an empty result, a read tool that fails on unknown ids, a write tool and a destructive
/// one), an in-memory session store and tokens for two users with every scope combination.
struct MCPFixture {
    static let allScopes: Set<String> = ["todos:read", "todos:write"]

    let clock = TestClock()
    let notes = NoteBook()
    var configuration = MCPEndpointConfiguration(
        serverInfo: ServerInfo(name: "todo-server", version: "1.0.0", title: "Todo"),
        instructions: "Manage notes.",
        resourceMetadataURL: "https://todo.example.com/.well-known/oauth-protected-resource",
        allowedOrigins: ["https://todo.example.com", "http://localhost:6274"],
        maxBodyBytes: 4_096
    )
    let sessions = InMemorySessionStore()
    var observer: (any MCPObserver)?
    let authenticator = FakeAuthenticator(tokens: [
        "alice": Principal(subject: "u_alice", scopes: Self.allScopes),
        "bob": Principal(subject: "u_bob", scopes: Self.allScopes),
        "alice-read": Principal(subject: "u_alice", scopes: ["todos:read"]),
        "alice-none": Principal(subject: "u_alice", scopes: []),
    ])

    init() async throws {}

    func endpoint() -> MCPEndpoint {
        MCPEndpoint(
            configuration: self.configuration,
            tools: Self.tools(self.notes),
            authenticator: self.authenticator,
            sessions: self.sessions,
            now: self.clock.now,
            observer: self.observer
        )
    }

    /// The endpoint behind a client that calls it directly.
    func app() async throws -> DirectApp { DirectApp(endpoint: self.endpoint()) }

    static let listOutputSchema: JSONValue = ["type": "object", "properties": ["todos": ["type": "array"]], "required": ["todos"]]

    static func tools(_ book: NoteBook) -> [Tool] {
        let object: ([String: JSONValue], [String]) -> JSONValue = { properties, required in
            ["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) }), "additionalProperties": false]
        }
        return [
            Tool(
                name: "list_todos",
                title: "List",
                description: "Lists the caller's notes.",
                inputSchema: object([:], []),
                outputSchema: Self.listOutputSchema,
                annotations: ToolAnnotations(readOnly: true),
                requiredScopes: ["todos:read"]
            ) { call in
                let mine = book.notes.withLock { $0[call.principal.subject] ?? [] }
                return .structured(["todos": .array(mine.map { .string($0) })])
            },
            Tool(
                name: "get_todo",
                title: "Get",
                description: "Gets one note by id.",
                inputSchema: object(["id": ["type": "string"]], ["id"]),
                annotations: ToolAnnotations(readOnly: true),
                requiredScopes: ["todos:read"]
            ) { call in
                throw ToolError("No todo with id \(call.arguments["id"]?.stringValue ?? "").")
            },
            Tool(
                name: "create_todo",
                title: "Create",
                description: "Adds a note.",
                inputSchema: object(["title": ["type": "string", "minLength": 1]], ["title"]),
                annotations: ToolAnnotations(readOnly: false),
                requiredScopes: ["todos:write"]
            ) { call in
                let title = call.arguments["title"]?.stringValue ?? ""
                book.notes.withLock { $0[call.principal.subject, default: []].append(title) }
                return .structured(["title": .string(title)])
            },
            Tool(
                name: "delete_todo",
                title: "Delete",
                description: "Deletes a note by id.",
                inputSchema: object(["id": ["type": "string"]], ["id"]),
                annotations: ToolAnnotations(readOnly: false, destructive: true, idempotent: true),
                requiredScopes: ["todos:write"]
            ) { call in
                throw ToolError("No todo with id \(call.arguments["id"]?.stringValue ?? "").")
            },
        ]
    }
}

/// An MCP endpoint and a client for it, in the shape of Hummingbird's `app.test(.router)`.
struct DirectApp {
    enum Mode { case router }

    let endpoint: MCPEndpoint

    func test<Value>(_ mode: Mode, _ body: (EndpointTestClient) async throws -> Value) async throws -> Value {
        try await body(EndpointTestClient([self.endpoint]))
    }
}
