import EndpointTestSupport
import MCPCore
import MCPTestSupport
import Synchronization
import Testing

/// What the endpoint reports to its observer: one record per request, by method, tool and outcome.
@Suite("MCP observer")
struct ObserverTests {
    final class Records: MCPObserver {
        let seen = Mutex<[String]>([])
        func requestAnswered(method: String, tool: String?, outcome: MCPOutcome) {
            self.seen.withLock { $0.append("\(method) \(tool ?? "-") \(outcome.rawValue)") }
        }
    }

    @Test("Results, tool errors, JSON-RPC errors, refusals, and unknown methods named 'other'")
    func records() async throws {
        var fixture = try await MCPFixture()
        let records = Records()
        fixture.observer = records
        try await fixture.app().test(.router) { client in
            _ = try await client.callTool("list_todos")
            _ = try await client.callTool("get_todo", ["id": "missing"])
            _ = try await client.callTool("no_such_tool")
            _ = try await client.callTool("create_todo", ["title": "x"], token: "alice-read")
            _ = try await client.modern("tools/list")
            _ = try await client.modern("secret/\u{1F600}-method")
            let session = try await client.initialize()
            _ = try await client.legacy("ping", session: session)
        }
        #expect(
            records.seen.withLock { $0 } == [
                "tools/call list_todos success", "tools/call get_todo tool_error", "tools/call - error", "tools/call create_todo refused",
                "tools/list - success", "other - error", "initialize - success", "ping - success",
            ]
        )
    }
}
