import Logging

/// `prompts/list` and `prompts/get`, the same in both eras but for the 2026-07-28 envelope.
extension MCPEndpoint {

    func listPrompts(id: JSONRPCID, params: [String: JSONValue], era: Era) -> Reply {
        if let cursor = params["cursor"], cursor != .null {
            // Every prompt fits on one page, so no cursor was ever issued.
            return self.failure(id, .invalidParams, "Invalid cursor: prompts/list has a single page; call it without a cursor.")
        }
        let prompts: [String: JSONValue] = ["prompts": .array(self.prompts.map(\.listing))]
        return self.result(id, era == .modern ? self.cacheable(prompts) : prompts, era: era)
    }

    func getPrompt(id: JSONRPCID, params: [String: JSONValue], principal: Principal, era: Era) async -> Reply {
        let names = self.prompts.map(\.name).joined(separator: ", ")
        guard case .string(let name)? = params["name"] else {
            return self.failure(id, .invalidParams, "params.name must be the name of a prompt: one of \(names).")
        }
        guard let prompt = self.promptsByName[name] else {
            return self.failure(
                id,
                .invalidParams,
                "Unknown prompt '\(name)'. The prompts are: \(names).",
                data: ["name": .string(name), "prompts": .array(self.prompts.map { .string($0.name) })]
            )
        }
        var arguments: [String: String] = [:]
        switch params["arguments"] {
        case nil, .null?: break
        case .object(let given)?:
            let known = Set(prompt.arguments.map(\.name))
            for (key, value) in given {
                guard known.contains(key) else {
                    let expected = known.isEmpty ? "it takes none" : "it takes: " + prompt.arguments.map(\.name).joined(separator: ", ")
                    return self.failure(id, .invalidParams, "The prompt \(name) has no argument '\(key)'; \(expected).")
                }
                guard case .string(let text) = value else {
                    return self.failure(id, .invalidParams, "Prompt arguments are strings; '\(key)' is \(value.typeName).")
                }
                arguments[key] = text
            }
        default:
            return self.failure(id, .invalidParams, "params.arguments must be an object of strings.")
        }
        for argument in prompt.arguments where argument.required && arguments[argument.name] == nil {
            return self.failure(id, .invalidParams, "The prompt \(name) needs the argument '\(argument.name)': \(argument.description)")
        }
        if let refusal = self.scopeRefusal(needing: prompt.requiredScopes, for: "The prompt \(name)", principal) { return refusal.reply }
        do {
            let result = try await prompt.handler(PromptCall(arguments: arguments, principal: principal))
            // GetPromptResult is not cacheable, so it carries no ttlMs or cacheScope.
            return self.result(id, result.json, era: era)
        } catch let error as PromptError {
            return self.failure(id, .invalidParams, error.message)
        } catch {
            self.logger.error("Prompt \(name) failed: \(error)")
            return self.failure(id, .internalError, "The prompt \(name) failed on the server. Try again later.")
        }
    }
}
