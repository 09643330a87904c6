import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPTestSupport
import Storage
import Testing

@testable import HTTPServer

/// How the server wires the MCP endpoint: its sessions in the database, the setup page beside it.
@Suite("MCP wiring")
struct MCPWiringTests {
    @Test("A session survives a server restart (it is in the database)")
    func sessionsSurviveRestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("restart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("todo.sqlite").path

        let first = try await MCPFixture(database: AppDatabase.open(path: path))
        let session = try await first.app().test(.router) { client in try await client.initialize() }

        // A new process: the database is opened anew from the same file.
        let second = try await MCPFixture(database: AppDatabase.open(path: path))
        try await second.app().test(.router) { client in
            let answer = try await client.legacy("ping", session: session)
            #expect(answer.status == .ok)
        }
    }

    @Test("A browser still gets the setup page at GET /")
    func setupPageStillServed() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let answer = try await client.mcp(.get, token: nil, contentType: nil, accept: "text/html")
            #expect(answer.status == .ok)
            #expect(answer.body.contains("https://todo.example.com"))
        }
    }
}
