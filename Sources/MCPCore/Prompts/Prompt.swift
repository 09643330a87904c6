/// A prompt the server offers: a ready-made workflow a client shows as a slash command, whose
/// messages the handler writes for the person who asks.
///
/// ```swift
/// let summary = Prompt(
///     name: "summarize",
///     title: "Summarize",
///     description: "Summarize a text.",
///     arguments: [PromptArgument(name: "text", description: "The text to summarize.", required: true)]
/// ) { call in
///     PromptResult(messages: [.user(text: "Summarize this:\n\(call.arguments["text"] ?? "")")])
/// }
/// ```
public struct Prompt: Sendable {
    /// The programmatic name, which `prompts/get` names.
    public var name: String
    /// The display name.
    public var title: String
    /// What the prompt is for.
    public var description: String
    /// The arguments it takes.
    public var arguments: [PromptArgument]
    /// The OAuth scopes a caller must hold to get the prompt.
    public var requiredScopes: [String]
    /// Writes the prompt's messages for a call whose required arguments are present.
    public var handler: @Sendable (PromptCall) async throws -> PromptResult

    /// Makes a prompt; with no `requiredScopes`, any caller with a valid token may get it.
    public init(
        name: String,
        title: String,
        description: String,
        arguments: [PromptArgument] = [],
        requiredScopes: [String] = [],
        handler: @escaping @Sendable (PromptCall) async throws -> PromptResult
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.arguments = arguments
        self.requiredScopes = requiredScopes
        self.handler = handler
    }

    /// The prompt as `prompts/list` describes it.
    var listing: JSONValue {
        var prompt: [String: JSONValue] = ["name": .string(self.name), "title": .string(self.title), "description": .string(self.description)]
        if !self.arguments.isEmpty { prompt["arguments"] = .array(self.arguments.map(\.json)) }
        return .object(prompt)
    }
}

/// An argument of a prompt. Arguments are strings.
public struct PromptArgument: Hashable, Sendable {
    /// The argument's name.
    public var name: String
    /// What to give, written for the person filling it in.
    public var description: String
    /// Whether `prompts/get` must give it.
    public var required: Bool

    /// An argument named `name`.
    public init(name: String, description: String, required: Bool = false) {
        self.name = name
        self.description = description
        self.required = required
    }

    var json: JSONValue { ["name": .string(self.name), "description": .string(self.description), "required": .bool(self.required)] }
}

/// One `prompts/get` call.
public struct PromptCall: Sendable {
    /// The arguments given, each a string; every required one is present.
    public var arguments: [String: String]
    /// Who asks.
    public var principal: Principal

    /// A call with `arguments` by `principal`.
    public init(arguments: [String: String], principal: Principal) {
        self.arguments = arguments
        self.principal = principal
    }
}

/// The messages a prompt returns.
public struct PromptResult: Sendable {
    /// What the messages are about, shown by some clients.
    public var description: String?
    /// The messages, in order.
    public var messages: [PromptMessage]

    /// A result of `messages`.
    public init(description: String? = nil, messages: [PromptMessage]) {
        self.description = description
        self.messages = messages
    }

    var json: [String: JSONValue] {
        var result: [String: JSONValue] = ["messages": .array(self.messages.map(\.json))]
        if let description = self.description { result["description"] = .string(description) }
        return result
    }
}

/// One message of a prompt: a role and a content block (text, a `resource_link`, an embedded resource, …).
public struct PromptMessage: Sendable, Hashable {
    /// Who speaks.
    public enum Role: String, Sendable, Hashable {
        /// The person.
        case user
        /// The model.
        case assistant
    }

    /// Who speaks.
    public var role: Role
    /// One MCP content block.
    public var content: JSONValue

    /// A message of `role` with the content block `content`.
    public init(role: Role, content: JSONValue) {
        self.role = role
        self.content = content
    }

    /// A text message from the person.
    public static func user(text: String) -> PromptMessage {
        PromptMessage(role: .user, content: ["type": "text", "text": .string(text)])
    }

    var json: JSONValue { ["role": .string(self.role.rawValue), "content": self.content] }
}

/// A prompt call the server refuses, such as an argument that is malformed; answered with
/// JSON-RPC error -32602 and this message.
public struct PromptError: Error, Hashable, Sendable {
    /// What was wrong and how to ask correctly.
    public var message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }
}
