import Dispatch
// libFuzzer target: tool arguments. Each input is one JSON value handed, as the arguments, to every
// todo tool: the schema check first, then the tool itself for what passes. Tools may refuse (a tool
// error) but never crash, a stored title or notes always keeps within the domain's limits, and a result as
// written to the wire parses back with its text block equal to its structured content.
import FuzzSupport
import TodoMCP
import MCPCore
import TodoDomain

private let service = TodoService(repository: InMemoryTodoRepository(), maxTodosPerOwner: 50)
private let tools = TodoTools.all(service: service)
private let validator = SchemaValidator()
private let principal = Principal(subject: "u_fuzz", scopes: ["todos:read", "todos:write"])

runFuzzer { data, size in
    guard let value = try? JSONValue.parse(input(data, size)), case .object(let arguments) = value else {
        return 0
    }
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        for tool in tools where validator.violations(of: tool.inputSchema, by: value).isEmpty {
            if let result = try? await tool.handler(ToolCall(arguments: arguments, principal: principal)) {
                let title = result.structuredContent?["title"]?.stringValue ?? ""
                precondition(title.utf8.count <= TodoRules.maxTitleBytes, "a stored title passed the byte limit")
                // The result as written to the wire parses back, and its text block is its structured content.
                var written: [UInt8] = [UInt8(ascii: "{")]
                result.writeMembers(to: &written)
                written.append(UInt8(ascii: "}"))
                let parsed = try? JSONValue.parse(written)
                precondition(parsed?["structuredContent"] == result.structuredContent, "the written result lost its structured content")
                if let structured = result.structuredContent, case .array(let blocks)? = parsed?["content"] {
                    precondition(blocks.first?["text"]?.stringValue == structured.jsonString, "the text block differs from the structured content")
                }
            }
        }
        done.signal()
    }
    done.wait()
    return 0
}
