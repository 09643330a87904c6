package import Foundation
public import MCPCore
public import TodoDomain

/// The todo tools: MCP tool definitions over `TodoService`, for any `MCPEndpoint`.
///
/// Domain failures (a bad field, an unknown id, a bad cursor) become results with `isError: true`
/// carrying the domain's message, so the model can correct itself. Reading needs the scope
/// `todos:read`, changing `todos:write`; the caller's subject owns the todos.
///
/// ```swift
/// let tools = TodoTools.all(service: TodoService(repository: SQLiteTodoRepository(database)))
/// ```
public enum TodoTools {
    /// The scope the reading tools need.
    public static let readScope = "todos:read"
    /// The scope the tools that change todos need.
    public static let writeScope = "todos:write"

    /// The tools, in the order `tools/list` shows them.
    public static func all(service: TodoService) -> [Tool] {
        [
            listTodos(service), getTodo(service), createTodo(service), updateTodo(service), completeTodo(service),
            completeTodos(service), deleteTodo(service), setTimeZone(service),
        ]
    }

    // MARK: Tools

    static func listTodos(_ service: TodoService) -> Tool {
        Tool(
            name: "list_todos",
            title: "List todos",
            description: """
                List the user's todos, one page at a time: open todos first, then by due date (undated last), then by creation. \
                Open todos only unless status says otherwise. Every filter given must hold: text in the title or notes (query), \
                priority, tag, a due range (due_after and due_before, each excluding the day itself), today (due today) or \
                overdue (open and due before today). Today is the user's day in time_zone if given, else in the time zone saved \
                with set_time_zone, else in UTC. A due filter leaves out undated todos. When the result has a nextCursor, \
                pass it as cursor with the same filters to get the next page.
                """,
            inputSchema: object(
                [
                    "status": [
                        "type": "string", "enum": ["open", "completed", "all"], "default": "open",
                        "description": "Which todos: open (default), completed, or all.",
                    ],
                    "query": [
                        "type": "string",
                        "description": "Only todos whose title or notes contain this text (case-insensitive), at most 200 characters.",
                    ],
                    "priority": ["type": "string", "enum": ["low", "normal", "high"], "description": "Only todos of this priority."],
                    "tag": ["type": "string", "description": "Only todos carrying this tag (case-insensitive, a leading # is ignored)."],
                    "due_after": [
                        "type": "string", "format": "date",
                        "description": "Only todos due after this day, written YYYY-MM-DD; the day itself is not included.",
                    ],
                    "due_before": [
                        "type": "string", "format": "date",
                        "description": "Only todos due before this day, written YYYY-MM-DD; the day itself is not included.",
                    ],
                    "today": ["type": "boolean", "description": "true: only todos due today."],
                    "overdue": [
                        "type": "boolean",
                        "description": "true: only open todos due before today. status must then be left out or be open.",
                    ],
                    "time_zone": [
                        "type": "string",
                        "description":
                            "The IANA time zone that decides which day is today for today and overdue, such as Europe/Berlin; by default the saved one, else UTC.",
                    ],
                    "limit": ["type": "integer", "minimum": 1, "maximum": 200, "default": 50, "description": "Todos per page, 1–200 (default 50)."],
                    "cursor": ["type": "string", "description": "The nextCursor of the previous page."],
                ]
            ),
            outputSchema: object(
                ["todos": ["type": "array", "items": todoSchema], "nextCursor": ["type": ["string", "null"]]],
                required: ["todos", "nextCursor"]
            ),
            annotations: ToolAnnotations(readOnly: true),
            requiredScopes: [readScope],
            app: TodoWidget.view
        ) { call in
            try await run(call) { owner in
                let arguments = call.arguments
                let page = try await service.list(
                    TodoListRequest(
                        status: arguments["status"]?.stringValue.flatMap(TodoStatusFilter.init),
                        query: arguments["query"]?.stringValue,
                        priority: arguments["priority"]?.stringValue,
                        tag: arguments["tag"]?.stringValue,
                        dueAfter: arguments["due_after"]?.stringValue,
                        dueBefore: arguments["due_before"]?.stringValue,
                        overdue: arguments["overdue"]?.boolValue ?? false,
                        today: arguments["today"]?.boolValue ?? false,
                        timeZone: arguments["time_zone"]?.stringValue,
                        limit: arguments["limit"]?.intValue.map { Int(clamping: $0) },
                        cursor: arguments["cursor"]?.stringValue
                    ),
                    owner: owner
                )
                return ["todos": .array(page.todos.map(json)), "nextCursor": page.nextCursor.map(JSONValue.string) ?? .null]
            }
        }
    }

    static func getTodo(_ service: TodoService) -> Tool {
        Tool(
            name: "get_todo",
            title: "Get a todo",
            description: "Get one todo by its id, with all its fields.",
            inputSchema: object(["id": idProperty], required: ["id"]),
            outputSchema: todoSchema,
            annotations: ToolAnnotations(readOnly: true),
            requiredScopes: [readScope]
        ) { call in
            try await runReturningTodo(call) { owner in try await service.get(call.arguments.string("id"), owner: owner) }
        }
    }

    static func createTodo(_ service: TodoService) -> Tool {
        Tool(
            name: "create_todo",
            title: "Create a todo",
            description: "Create a todo for the user and return it with its new id.",
            inputSchema: object(
                [
                    "title": ["type": "string", "description": "Short title, 1–200 characters, one line."],
                    "notes": ["type": "string", "description": "Longer details, up to 5,000 characters."],
                    "dueDate": ["type": "string", "format": "date", "description": "The day it is due, written YYYY-MM-DD."],
                    "priority": ["type": "string", "enum": ["low", "normal", "high"], "default": "normal"],
                    "tags": tagsProperty,
                ],
                required: ["title"]
            ),
            outputSchema: todoSchema,
            annotations: ToolAnnotations(readOnly: false, destructive: false, idempotent: false),
            requiredScopes: [writeScope]
        ) { call in
            try await runReturningTodo(call) { owner in
                let arguments = call.arguments
                return try await service.create(
                    NewTodo(
                        title: arguments.string("title"),
                        notes: arguments["notes"]?.stringValue,
                        dueDate: arguments["dueDate"]?.stringValue,
                        priority: arguments["priority"]?.stringValue,
                        tags: arguments["tags"]?.stringArray
                    ),
                    owner: owner
                )
            }
        }
    }

    static func updateTodo(_ service: TodoService) -> Tool {
        Tool(
            name: "update_todo",
            title: "Update a todo",
            description: """
                Change any fields of a todo; fields left out stay as they are. Set notes or dueDate to null to clear them. \
                tags replaces all the todo's tags (an empty list removes them). \
                Set completed to false to reopen a completed todo, or true to complete it.
                """,
            inputSchema: object(
                [
                    "id": idProperty,
                    "title": ["type": "string", "description": "New title, 1–200 characters, one line."],
                    "notes": ["type": ["string", "null"], "description": "New notes up to 5,000 characters, or null to clear them."],
                    "dueDate": ["type": ["string", "null"], "description": "New due day written YYYY-MM-DD, or null to clear it."],
                    "priority": ["type": "string", "enum": ["low", "normal", "high"]],
                    "tags": tagsProperty,
                    "completed": ["type": "boolean", "description": "true completes the todo, false reopens it."],
                ],
                required: ["id"]
            ),
            outputSchema: todoSchema,
            annotations: ToolAnnotations(readOnly: false, destructive: true, idempotent: true),
            requiredScopes: [writeScope]
        ) { call in
            try await runReturningTodo(call) { owner in
                let arguments = call.arguments
                let changes = TodoChanges(
                    title: arguments["title"]?.stringValue,
                    notes: change(arguments["notes"]),
                    dueDate: change(arguments["dueDate"]),
                    priority: arguments["priority"]?.stringValue,
                    tags: arguments["tags"]?.stringArray,
                    completed: arguments["completed"]?.boolValue
                )
                return try await service.update(arguments.string("id"), changes: changes, owner: owner)
            }
        }
    }

    static func completeTodo(_ service: TodoService) -> Tool {
        Tool(
            name: "complete_todo",
            title: "Complete a todo",
            description: "Mark a todo as done. Completing a todo that is already done changes nothing.",
            inputSchema: object(["id": idProperty], required: ["id"]),
            outputSchema: todoSchema,
            annotations: ToolAnnotations(readOnly: false, destructive: false, idempotent: true),
            requiredScopes: [writeScope]
        ) { call in
            try await runReturningTodo(call) { owner in try await service.complete(call.arguments.string("id"), owner: owner) }
        }
    }

    static func completeTodos(_ service: TodoService) -> Tool {
        Tool(
            name: "complete_todos",
            title: "Complete several todos",
            description: """
                Mark up to \(TodoRules.maxBulkIDs) todos as done in one step. Returns the todos now completed and, in notFound, \
                the ids that name no todo of the user (those are skipped; the others are still completed). \
                Todos already done stay as they were.
                """,
            inputSchema: object(
                [
                    "ids": [
                        "type": "array", "items": idProperty, "minItems": 1, "maxItems": .int(Int64(TodoRules.maxBulkIDs)),
                        "description": "The ids of the todos to complete, as returned by list_todos or create_todo.",
                    ]
                ],
                required: ["ids"]
            ),
            outputSchema: object(
                ["completed": ["type": "array", "items": todoSchema], "notFound": ["type": "array", "items": ["type": "string"]]],
                required: ["completed", "notFound"]
            ),
            annotations: ToolAnnotations(readOnly: false, destructive: false, idempotent: true),
            requiredScopes: [writeScope],
            app: TodoWidget.view
        ) { call in
            try await run(call) { owner in
                let outcome = try await service.complete(ids: call.arguments["ids"]?.stringArray ?? [], owner: owner)
                return ["completed": .array(outcome.completed.map(json)), "notFound": .array(outcome.notFound.map(JSONValue.string))]
            }
        }
    }

    static func setTimeZone(_ service: TodoService) -> Tool {
        Tool(
            name: "set_time_zone",
            title: "Set the time zone",
            description: """
                Save the user's time zone, which decides which day is today for list_todos (today, overdue) and the prompts. \
                Give an IANA name such as Europe/Berlin or America/New_York, or null to go back to UTC.
                """,
            inputSchema: object(
                ["timeZone": ["type": ["string", "null"], "description": "An IANA time zone name, or null for UTC."]],
                required: ["timeZone"]
            ),
            outputSchema: object(
                ["timeZone": ["type": ["string", "null"]], "today": ["type": "string", "format": "date"]],
                required: ["timeZone", "today"]
            ),
            annotations: ToolAnnotations(readOnly: false, destructive: false, idempotent: true),
            requiredScopes: [writeScope]
        ) { call in
            try await run(call) { owner in
                let settings = try await service.setTimeZone(call.arguments["timeZone"]?.stringValue, owner: owner)
                let today = try await service.today(owner: owner)
                return ["timeZone": settings.timeZone.map(JSONValue.string) ?? .null, "today": .string(today.description)]
            }
        }
    }

    static func deleteTodo(_ service: TodoService) -> Tool {
        Tool(
            name: "delete_todo",
            title: "Delete a todo",
            description: "Delete a todo for good and return it as it was. To keep it but mark it done, use complete_todo instead.",
            inputSchema: object(["id": idProperty], required: ["id"]),
            outputSchema: object(["deleted": ["type": "boolean"], "todo": todoSchema], required: ["deleted", "todo"]),
            annotations: ToolAnnotations(readOnly: false, destructive: true, idempotent: true),
            requiredScopes: [writeScope]
        ) { call in
            try await run(call) { owner in
                ["deleted": true, "todo": json(try await service.delete(call.arguments.string("id"), owner: owner))]
            }
        }
    }

    // MARK: Shared parts

    /// Runs a tool body that returns one todo: the todo as the structured result, with a
    /// `resource_link` to it for clients that read resources.
    private static func runReturningTodo(_ call: ToolCall, _ body: (UserID) async throws -> Todo) async throws -> ToolResult {
        do {
            let todo = try await body(UserID(call.principal.subject))
            return ToolResult(content: [TodoResources.link(to: todo)], structuredContent: json(todo), mirrorsStructuredContent: true)
        } catch let error as TodoError {
            throw ToolError(error.description)
        }
    }

    /// Runs a tool body for the caller, turning domain failures into tool errors.
    private static func run(_ call: ToolCall, _ body: (UserID) async throws -> JSONValue) async throws -> ToolResult {
        do {
            return .structured(try await body(UserID(call.principal.subject)))
        } catch let error as TodoError {
            throw ToolError(error.description)
        }
    }

    private static func change(_ value: JSONValue?) -> FieldChange<String> {
        switch value {
        case nil: .keep
        case .null?: .clear
        case .string(let string)?: .set(string)
        default: .keep
        }
    }

    private static let idProperty: JSONValue = ["type": "string", "description": "The todo's id, as returned by list_todos or create_todo."]

    private static let tagsProperty: JSONValue = [
        "type": "array", "maxItems": .int(Int64(TodoRules.maxTags)),
        "items": ["type": "string", "description": .string("A tag, 1–\(TodoRules.maxTagLength) characters; stored lowercased.")],
        "description": .string("Labels to group todos by, at most \(TodoRules.maxTags), such as [\"work\", \"errands\"]."),
    ]

    private static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        return .object(schema)
    }

    static let todoSchema: JSONValue = object(
        [
            "id": ["type": "string"],
            "title": ["type": "string"],
            "notes": ["type": ["string", "null"]],
            "dueDate": ["type": ["string", "null"], "format": "date"],
            "priority": ["type": "string", "enum": ["low", "normal", "high"]],
            "tags": ["type": "array", "items": ["type": "string"]],
            "completed": ["type": "boolean"],
            "completedAt": ["type": ["string", "null"], "format": "date-time"],
            "createdAt": ["type": "string", "format": "date-time"],
            "updatedAt": ["type": "string", "format": "date-time"],
        ],
        required: ["id", "title", "notes", "dueDate", "priority", "tags", "completed", "completedAt", "createdAt", "updatedAt"]
    )

    /// A todo as tools return it.
    static func json(_ todo: Todo) -> JSONValue {
        [
            "id": .string(todo.id.rawValue),
            "title": .string(todo.title),
            "notes": todo.notes.map(JSONValue.string) ?? .null,
            "dueDate": todo.dueDate.map { .string($0.description) } ?? .null,
            "priority": .string(todo.priority.rawValue),
            "tags": .array(todo.tags.map(JSONValue.string)),
            "completed": .bool(todo.isCompleted),
            "completedAt": todo.completedAt.map { .string(Timestamp.iso8601(millisecondsSince1970: $0.millisecondsSince1970)) } ?? .null,
            "createdAt": .string(Timestamp.iso8601(millisecondsSince1970: todo.createdAt.millisecondsSince1970)),
            "updatedAt": .string(Timestamp.iso8601(millisecondsSince1970: todo.updatedAt.millisecondsSince1970)),
        ]
    }
}

extension [String: JSONValue] {
    /// A string argument the input schema requires, so it is present.
    fileprivate func string(_ key: String) -> String { self[key]?.stringValue ?? "" }
}

extension JSONValue {
    /// The strings of an array the input schema declares as strings.
    fileprivate var stringArray: [String]? {
        guard case .array(let elements) = self else { return nil }
        return elements.compactMap(\.stringValue)
    }
}
