/// A tool the server offers: what a model sees in `tools/list`, and the handler that runs a call.
///
/// ```swift
/// let echo = Tool(
///     name: "echo",
///     title: "Echo",
///     description: "Returns the text it is given.",
///     inputSchema: ["type": "object", "properties": ["text": ["type": "string"]], "required": ["text"],
///                   "additionalProperties": false],
///     annotations: ToolAnnotations(readOnly: true)
/// ) { call in
///     .structured(["text": call.arguments["text"] ?? ""])
/// }
/// ```
public struct Tool: Sendable {
    /// The programmatic name: 1–128 of `A-Z a-z 0-9 _ - .`.
    public var name: String
    /// The display name.
    public var title: String
    /// What the tool does, written for a model: when to use it and what it returns.
    public var description: String
    /// The JSON Schema of the arguments; its root is `type: object`. Calls are validated against it
    /// before the handler runs.
    public var inputSchema: JSONValue
    /// The JSON Schema of `structuredContent`, if the tool returns structured results.
    public var outputSchema: JSONValue?
    /// Hints about the tool's behaviour.
    public var annotations: ToolAnnotations
    /// The OAuth scopes a caller must hold to call the tool.
    public var requiredScopes: [String]
    /// The app view hosts show beside the tool's results, if any. The tool's `content` must still
    /// say everything, for hosts without apps and for the model.
    public var app: AppView?
    /// Runs a call whose arguments passed the input schema.
    public var handler: @Sendable (ToolCall) async throws -> ToolResult

    /// Makes a tool; with no `requiredScopes`, any caller with a valid token may call it.
    public init(
        name: String,
        title: String,
        description: String,
        inputSchema: JSONValue,
        outputSchema: JSONValue? = nil,
        annotations: ToolAnnotations,
        requiredScopes: [String] = [],
        app: AppView? = nil,
        handler: @escaping @Sendable (ToolCall) async throws -> ToolResult
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.annotations = annotations
        self.requiredScopes = requiredScopes
        self.app = app
        self.handler = handler
    }

    /// The tool as `tools/list` describes it.
    var listing: JSONValue {
        var tool: [String: JSONValue] = [
            "name": .string(self.name),
            "title": .string(self.title),
            "description": .string(self.description),
            "inputSchema": self.inputSchema,
            "annotations": self.annotations.json(title: self.title),
        ]
        if let outputSchema = self.outputSchema { tool["outputSchema"] = outputSchema }
        if let app = self.app { tool["_meta"] = app.toolMeta }
        return .object(tool)
    }
}

/// Hints about what a tool does. Clients treat them as untrusted hints, never as guarantees.
public struct ToolAnnotations: Hashable, Sendable {
    /// The tool changes nothing.
    public var readOnly: Bool
    /// The tool may destroy or overwrite data (meaningful only when not read-only).
    public var destructive: Bool
    /// Calling the tool again with the same arguments has no further effect (meaningful only when not read-only).
    public var idempotent: Bool
    /// The tool reaches outside this server.
    public var openWorld: Bool

    /// Makes the hints; those not given are `false`: not destructive, not idempotent, not reaching outside.
    public init(readOnly: Bool, destructive: Bool = false, idempotent: Bool = false, openWorld: Bool = false) {
        self.readOnly = readOnly
        self.destructive = destructive
        self.idempotent = idempotent
        self.openWorld = openWorld
    }

    func json(title: String) -> JSONValue {
        [
            "title": .string(title),
            "readOnlyHint": .bool(self.readOnly),
            "destructiveHint": .bool(self.destructive),
            "idempotentHint": .bool(self.readOnly || self.idempotent),
            "openWorldHint": .bool(self.openWorld),
        ]
    }
}

/// One call of a tool.
public struct ToolCall: Sendable {
    /// The arguments, already validated against the tool's input schema.
    public var arguments: [String: JSONValue]
    /// Who calls.
    public var principal: Principal

    /// Makes a call, as the endpoint does once the arguments have passed the schema.
    public init(arguments: [String: JSONValue], principal: Principal) {
        self.arguments = arguments
        self.principal = principal
    }
}

/// What a tool call returns.
public struct ToolResult: Hashable, Sendable {
    /// The content blocks (text, images, …). A result made by ``structured(_:)`` also leads with a
    /// text block holding the structured result as JSON text (see ``mirrorsStructuredContent``).
    public var content: [JSONValue]
    /// The structured result, matching the tool's output schema.
    public var structuredContent: JSONValue?
    /// Whether the call failed in a way the model can correct (bad input, unknown id, …).
    public var isError: Bool
    /// Whether a text block with `structuredContent` as JSON text is sent before ``content``, for
    /// clients that read only text. It is written from the same bytes as `structuredContent`, so
    /// the result is serialized once.
    public var mirrorsStructuredContent: Bool

    /// Makes a result from content blocks; ``structured(_:)`` and ``error(_:)`` cover the common cases.
    public init(content: [JSONValue], structuredContent: JSONValue? = nil, isError: Bool = false, mirrorsStructuredContent: Bool = false) {
        self.content = content
        self.structuredContent = structuredContent
        self.isError = isError
        self.mirrorsStructuredContent = mirrorsStructuredContent
    }

    /// A structured result, also given as JSON text for clients that read only text.
    public static func structured(_ value: JSONValue) -> ToolResult {
        ToolResult(content: [], structuredContent: value, mirrorsStructuredContent: true)
    }

    /// A failed call with a message the model can act on.
    public static func error(_ message: String) -> ToolResult {
        ToolResult(content: [["type": "text", "text": .string(message)]], isError: true)
    }

    /// Appends the members of the `CallToolResult` object, without the braces.
    package func writeMembers(to output: inout [UInt8]) {
        var structured: [UInt8] = []
        self.structuredContent?.write(to: &structured)
        output.append(contentsOf: #""content":["#.utf8)
        if self.mirrorsStructuredContent && self.structuredContent != nil {
            output.append(contentsOf: #"{"text":"#.utf8)
            structured.withUnsafeBufferPointer { JSONValue.writeString(utf8: $0, to: &output) }
            output.append(contentsOf: #","type":"text"}"#.utf8)
            if !self.content.isEmpty { output.append(UInt8(ascii: ",")) }
        }
        for (index, block) in self.content.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            block.write(to: &output)
        }
        output.append(UInt8(ascii: "]"))
        if self.isError { output.append(contentsOf: #","isError":true"#.utf8) }
        if self.structuredContent != nil {
            output.append(contentsOf: #","structuredContent":"#.utf8)
            output.append(contentsOf: structured)
        }
    }
}

/// A failure a tool handler reports to the model as a result with `isError: true`.
public struct ToolError: Error, Hashable, Sendable {
    /// The message for the model: what went wrong and how to call the tool correctly.
    public var message: String

    /// Makes an error with `message`.
    public init(_ message: String) { self.message = message }
}
