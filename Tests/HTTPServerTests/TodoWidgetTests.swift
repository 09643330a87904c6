import EndpointTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import MCPTestSupport
import Testing
import TodoMCP

@testable import HTTPServer

/// The todo list inside the chat: the MCP Apps view the server offers, as clients see it.
@Suite("Todo widget")
struct TodoWidgetTests {
    static let linkedTools: Set<String> = ["list_todos", "complete_todos"]

    @Test("list_todos and complete_todos link the widget in both eras; the other tools do not")
    func toolsLinkTheWidget() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let session = try await client.initialize()
            for answer in [try await client.modern("tools/list"), try await client.legacy("tools/list", session: session)] {
                guard case .array(let tools)? = answer.result?["tools"] else { Issue.record("no tools"); return }
                for tool in tools {
                    let name = tool["name"]?.stringValue ?? "?"
                    let linked = Self.linkedTools.contains(name)
                    #expect(tool["_meta"]?["ui"]?["resourceUri"] == (linked ? .string(TodoWidget.view.uri) : nil), "\(name)")
                    #expect(tool["_meta"]?["ui/resourceUri"] == (linked ? .string(TodoWidget.view.uri) : nil), "\(name)")
                }
            }
        }
    }

    @Test("The server announces the apps extension in initialize and server/discover")
    func extensionAnnounced() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let discovered = try await client.modern("server/discover").result?["capabilities"]
            #expect(discovered?["extensions"] == ["io.modelcontextprotocol/ui": [:]])
            let initialized = try await client.mcp(
                body: JSONValue([
                    "jsonrpc": "2.0", "id": 0, "method": "initialize",
                    "params": ["protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "host", "version": "1"]],
                ]).jsonString
            )
            #expect(initialized.result?["capabilities"]?["extensions"] == ["io.modelcontextprotocol/ui": [:]])
        }
    }

    @Test("The widget reads as the app's HTML in both eras, listed first, with a border and no domains")
    func widgetResource() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let uri = TodoWidget.view.uri
            let modern = try await client.modern(
                "resources/read",
                params: ["uri": .string(uri)],
                headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "resources/read", .mcpName: uri]
            )
            let session = try await client.initialize()
            let legacy = try await client.legacy("resources/read", params: ["uri": .string(uri)], session: session)
            for answer in [modern, legacy] {
                let contents = try #require(answer.result?["contents"]?[0])
                #expect(contents["mimeType"] == "text/html;profile=mcp-app")
                #expect(contents["text"]?.stringValue == TodoWidget.view.html)
                #expect(contents["_meta"]?["ui"]?["prefersBorder"] == true)
                #expect(contents["_meta"]?["ui"]?["csp"]?["connectDomains"] == [])
                #expect(contents["_meta"]?["ui"]?["csp"]?["resourceDomains"] == [])
            }
            #expect(modern.result?["cacheScope"] == "public")
            let listed = try await client.modern("resources/list").result?["resources"]?[0]
            #expect(listed?["uri"] == .string(uri))
        }
    }

    @Test("A listing linked to the widget still says everything in its text, for hosts without apps")
    func textForHostsWithoutApps() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            _ = try await client.callTool("create_todo", ["title": "Water the plants", "dueDate": "2026-12-03", "tags": ["home"]])
            let listed = try await client.callTool("list_todos")
            let text = try #require(listed.toolText)
            #expect(text.contains("Water the plants") && text.contains("2026-12-03") && text.contains("home"))
        }
    }

    @Test("The widget is one self-contained document: inline code only, nothing fetched, no HTML built from strings, no storage")
    func selfContained() throws {
        let html = TodoWidget.view.html
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.utf8.count < 32_000, "small enough to read: \(html.utf8.count) bytes")
        // Nothing from anywhere: no URL, no element that loads one.
        for forbidden in ["http://", "https://", "//cdn", "<link", "<img", "<iframe", "<object", "<embed", "src=", "url(", "@import"] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
        // No network of its own, and no storage (origins vary by host).
        for forbidden in ["fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "sendBeacon", "localStorage", "sessionStorage", "indexedDB"] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
        // Text is never parsed as HTML, and no code is made from strings.
        for forbidden in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setTimeout(\"", "DOMParser"] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
        // The handshake of the stable revision, and messages taken only from the host.
        for required in ["\"ui/initialize\"", "\"ui/notifications/initialized\"", "2026-01-26", "event.source !== window.parent"] {
            #expect(html.contains(required), "\(required)")
        }
    }
}

extension JSONValue {
    fileprivate subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { items[index] } else { nil }
    }
}
