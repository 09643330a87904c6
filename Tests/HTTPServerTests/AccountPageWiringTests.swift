import EndpointTestSupport
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import MCPTestSupport
import Storage
import OAuthTestSupport
import Testing

@testable import HTTPServer

/// The account page of the whole server: the person's todos from the database, the download,
/// and deletion that leaves nothing of them behind, with the MCP endpoint refusing their app.
@Suite("Account page in the server")
struct AccountPageWiringTests {
    static func signIn(_ browser: ScriptedClient, email: String = "ada@example.com") async throws -> BrowserAnswer {
        let codePage = try await browser.submit(try await browser.browse(.get, "/account"), [("email", email)])
        _ = try await browser.submit(codePage, [("code", try #require(codePage.demoCode))])
        return try await browser.browse(.get, "/account")
    }

    static func token(_ page: BrowserAnswer) throws -> String {
        try #require(page.html.firstMatch(of: #/name="csrf" value="([^"]+)"/#).map { String($0.output.1) })
    }

    @Test("The setup page links to the account page")
    func setupLinks() async throws {
        let fixture = try OAuthFixture()
        try await fixture.app().test(.router) { client in
            let html = try await client.execute(uri: "/", method: .get, headers: [.accept: "text/html"]) { String(buffer: $0.body) }
            #expect(html.contains(#"<a href="https://todo.example.com/account" id="account-link">"#))
        }
    }

    @Test("Todos newest first in pages of 25, open and completed; the download has them all; deleting removes every row")
    func todosDownloadAndDelete() async throws {
        let fixture = try OAuthFixture()
        try await fixture.app().test(.router) { client in
            let app = ScriptedClient(client)
            let (access, refresh) = try await app.tokens()
            for index in 0..<27 {
                fixture.clock.advance(seconds: 1)
                #expect(try await client.callTool("create_todo", ["title": .string("todo <\(index)>")], token: access).status == .ok)
            }
            let listed = try await client.callTool("list_todos", ["status": "all", "limit": 50], token: access).structured?["todos"]
            guard case .array(let items) = listed else { Issue.record("no todos listed"); return }
            let firstID = try #require(items.first?["id"]?.stringValue)
            _ = try await client.callTool("complete_todo", ["id": .string(firstID)], token: access)

            let browser = ScriptedClient(client)
            let page = try await Self.signIn(browser)
            #expect(page.html.contains("todo &lt;26&gt;") && page.html.contains("todo &lt;2&gt;") && !page.html.contains("todo &lt;1&gt;"))
            #expect(!page.html.contains(#"<li class="done">"#), "the completed todo is the oldest, on the second page")
            let older = try #require(page.html.firstMatch(of: #/href="([^"]+)" id="older"/#).map { String($0.output.1) })
            let second = try await browser.browse(.get, older)
            #expect(second.html.contains("todo &lt;1&gt;") && second.html.contains("todo &lt;0&gt;") && !second.html.contains("todo &lt;2&gt;"))
            #expect(second.html.contains(#"<li class="done"><span class="title"><span class="sr">Done: </span>todo &lt;0&gt;"#))
            let validID = "t_" + String(repeating: "0", count: 26)
            for cursor in ["123.t_nope", "9223372036854775807.\(validID)", "-9223372036854775808.\(validID)", "253402300800000.\(validID)"] {
                #expect(try await browser.browse(.get, "/account?after=" + cursor).status == .badRequest, "\(cursor)")
            }
            #expect(try await browser.browse(.get, "/account?after=253402300799999.\(validID)").status == .ok, "the year 9999 is still a time")

            let download = try await client.execute(
                uri: "/account",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: Self.cookieHeader(browser)],
                body: ByteBuffer(string: formEncode([("action", "download"), ("csrf", try Self.token(page))]))
            ) { try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any] }
            let todos = try #require(download?["todos"] as? [[String: Any]])
            #expect(todos.count == 27 && todos.first?["title"] as? String == "todo <26>")
            #expect(todos.contains { $0["completed"] as? Bool == true && $0["id"] as? String == firstID })

            let deleted = try await browser.browse(
                .post,
                "/account",
                form: [("action", "delete"), ("confirm", "ada@example.com"), ("csrf", try Self.token(page))]
            )
            #expect(deleted.status == .seeOther)
            #expect(try await client.callTool("list_todos", token: access).status == .unauthorized)
            #expect(try await app.refresh(refresh).0 == .badRequest)
            let left = try await fixture.database.writer.read { db in
                try ["users", "user_emails", "todos", "consents", "refresh_tokens", "authorization_codes", "mcp_sessions"].map {
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? -1
                }
            }
            #expect(left == [0, 0, 0, 0, 0, 0, 0])

            // The same address signs up anew, with no todos.
            let (fresh, _) = try await ScriptedClient(client).tokens()
            #expect(try await client.callTool("list_todos", token: fresh).structured?["todos"]?.arrayCount == 0)
        }
    }

    static func cookieHeader(_ browser: ScriptedClient) -> String {
        browser.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
    }
}
