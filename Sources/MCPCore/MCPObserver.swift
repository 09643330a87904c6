/// Hears how each MCP request ended, for metrics: a host counts them by method, tool and outcome.
///
/// Called once per JSON-RPC request (notifications and responses are not requests), on the request's
/// task, so an implementation must be quick and must not block. A `tools/call` refused before its
/// tool is looked up (its `Mcp-Name` header contradicts the body, say) is not reported.
public protocol MCPObserver: Sendable {
    /// A request was answered.
    /// - Parameters:
    ///   - method: the JSON-RPC method if the server knows it, else `other` (clients choose method
    ///     names, so unknown ones are not passed on as they are).
    ///   - tool: the tool a `tools/call` named, if the server offers it.
    ///   - outcome: how it ended.
    func requestAnswered(method: String, tool: String?, outcome: MCPOutcome)
}

/// How an MCP request ended.
public enum MCPOutcome: String, Sendable, CaseIterable {
    /// A result.
    case success
    /// A tool result with `isError`: the tool refused the arguments or the change.
    case toolError = "tool_error"
    /// A JSON-RPC error.
    case error
    /// A tool call refused for a missing scope (403 with a challenge to ask for it).
    case refused
}
