import Logging

/// Tool calls: arguments checked against the tool's schema and the caller's scopes before the
/// handler runs; handler failures become results the model can act on.
extension MCPEndpoint {

    func callTool(id: JSONRPCID, params: [String: JSONValue], principal: Principal, era: Era) async -> Reply {
        let (reply, tool, outcome) = await self.runTool(id: id, params: params, principal: principal, era: era)
        self.observer?.requestAnswered(method: "tools/call", tool: tool, outcome: outcome)
        return reply
    }

    /// A tool call's reply, the tool it named (if offered) and how it ended.
    private func runTool(id: JSONRPCID, params: [String: JSONValue], principal: Principal, era: Era) async -> (Reply, String?, MCPOutcome) {
        guard case .string(let name)? = params["name"] else {
            return (self.failure(id, .invalidParams, "params.name must be the name of a tool."), nil, .error)
        }
        guard let tool = self.toolsByName[name] else {
            return (self.failure(id, .invalidParams, "Unknown tool '\(name)'. Call tools/list for the tools this server offers."), nil, .error)
        }
        let arguments: [String: JSONValue]
        switch params["arguments"] {
        case nil, .null?: arguments = [:]
        case .object(let object)?: arguments = object
        default: return (self.failure(id, .invalidParams, "params.arguments must be an object."), name, .error)
        }
        if let refusal = self.scopeRefusal(tool, principal) { return (refusal.reply, name, .refused) }
        let problems = self.validator.violations(of: tool.inputSchema, by: .object(arguments))
        guard problems.isEmpty else {
            return (
                self.toolResult(id, ToolResult.error("Invalid arguments for \(name): " + problems.joined(separator: " ")), era: era), name, .toolError
            )
        }
        do {
            let result = try await tool.handler(ToolCall(arguments: arguments, principal: principal))
            return (self.toolResult(id, result, era: era), name, result.isError ? .toolError : .success)
        } catch let error as ToolError {
            return (self.toolResult(id, ToolResult.error(error.message), era: era), name, .toolError)
        } catch {
            self.logger.error("Tool \(name) failed: \(error)")
            return (self.failure(id, .internalError, "The tool \(name) failed on the server. Try again later."), name, .error)
        }
    }

    /// The 403 challenge when `principal` lacks a scope `tool` needs.
    func scopeRefusal(_ tool: Tool, _ principal: Principal) -> Challenge? {
        self.scopeRefusal(needing: tool.requiredScopes, for: "The tool \(tool.name)", principal)
    }

    /// The response carrying a tool's result, serialized once (see ``ToolResult/writeMembers(to:)``).
    private func toolResult(_ id: JSONRPCID, _ result: ToolResult, era: Era) -> Reply {
        self.success(id, era: era) { result.writeMembers(to: &$0) }
    }
}
