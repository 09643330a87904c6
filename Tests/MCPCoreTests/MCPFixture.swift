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
        "alice-write": Principal(subject: "u_alice", scopes: ["todos:write"]),
        "alice-none": Principal(subject: "u_alice", scopes: []),
    ])

    init() async throws {}

    func endpoint() -> MCPEndpoint {
        MCPEndpoint(
            configuration: self.configuration,
            tools: Self.tools(self.notes),
            prompts: Self.prompts(self.notes),
            resources: NoteResources(book: self.notes),
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

extension MCPFixture {
    static func prompts(_ book: NoteBook) -> [Prompt] {
        [
            Prompt(
                name: "review",
                title: "Review",
                description: "Reviews the caller's notes.",
                arguments: [
                    PromptArgument(name: "focus", description: "What to look at.", required: true),
                    PromptArgument(name: "tone", description: "How to say it."),
                ],
                requiredScopes: ["todos:read"]
            ) { call in
                guard call.arguments["focus"] != "nothing" else { throw PromptError("focus must name something to look at.") }
                let mine = book.notes.withLock { $0[call.principal.subject] ?? [] }
                return PromptResult(
                    description: "A review",
                    messages: [.user(text: "Review \(call.arguments["focus"] ?? ""): \(mine.joined(separator: ", "))")]
                        + mine.indices.map { PromptMessage(role: .user, content: NoteResources.resource(index: $0, title: mine[$0]).link) }
                )
            }
        ]
    }
}

/// The caller's notes as resources `note://{index}`, with no live changes.
struct NoteResources: ResourceProvider {
    let book: NoteBook

    var requiredScopes: [String] { ["todos:read"] }

    var templates: [ResourceTemplate] { [ResourceTemplate(uriTemplate: "note://{index}", name: "note", mimeType: "text/plain")] }

    static func resource(index: Int, title: String) -> Resource {
        Resource(
            uri: "note://\(index)",
            name: "note-\(index)",
            title: title,
            mimeType: "text/plain",
            lastModified: Date(timeIntervalSince1970: 1_800_000_000)
        )
    }

    func list(cursor: String?, principal: Principal) async throws -> ResourcePage {
        let mine = self.book.notes.withLock { $0[principal.subject] ?? [] }
        let start: Int
        switch cursor {
        case nil: start = 0
        case let cursor?:
            guard let index = Int(cursor.dropFirst("page:".count)), cursor.hasPrefix("page:"), (0...mine.count).contains(index) else {
                throw ResourceError("Invalid cursor.")
            }
            start = index
        }
        let end = min(start + 2, mine.count)
        return ResourcePage(
            resources: (start..<end).map { Self.resource(index: $0, title: mine[$0]) },
            nextCursor: end < mine.count ? "page:\(end)" : nil
        )
    }

    func read(uri: String, principal: Principal) async throws -> [ResourceContents]? {
        let mine = self.book.notes.withLock { $0[principal.subject] ?? [] }
        guard uri.hasPrefix("note://"), let index = Int(uri.dropFirst(7)), mine.indices.contains(index) else { return nil }
        return [ResourceContents(uri: uri, mimeType: "text/plain", text: mine[index])]
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
