import EndpointCore
import Foundation
import EndpointTestSupport
import HTTPTypes
import MCPTestSupport
import Testing

@testable import MCPCore

/// MCP Apps views (`io.modelcontextprotocol/ui`): the link from a tool, the announced extension
/// and the `ui://` resource, in both eras.
@Suite("MCP Apps views")
struct AppViewTests {
    static let html = "<!doctype html><html><head><title>Notes</title></head><body><p>Notes</p></body></html>"
    static let view = AppView(
        uri: "ui://notes/list",
        name: "note-list",
        title: "Notes",
        description: "The notes as a list.",
        html: html,
        prefersBorder: true
    )

    /// The fixture's endpoint with `list_todos` and `delete_todo` linked to the view, and
    /// optionally without the resource provider.
    func client(withProvider: Bool = true, linked: Bool = true) async throws -> EndpointTestClient {
        let fixture = try await MCPFixture()
        var tools = MCPFixture.tools(fixture.notes)
        if linked {
            for index in tools.indices where ["list_todos", "delete_todo"].contains(tools[index].name) { tools[index].app = Self.view }
        }
        let endpoint = MCPEndpoint(
            configuration: fixture.configuration,
            tools: tools,
            resources: withProvider ? NoteResources(book: fixture.notes) : nil,
            authenticator: fixture.authenticator,
            sessions: fixture.sessions,
            now: fixture.clock.now
        )
        return EndpointTestClient([endpoint])
    }

    func read(_ client: EndpointTestClient, _ uri: String, token: String = "alice") async throws -> MCPAnswer {
        try await client.modern(
            "resources/read",
            params: ["uri": .string(uri)],
            token: token,
            headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "resources/read", .mcpName: Self.headerValue(uri)]
        )
    }

    /// `value` as an `Mcp-Name` header: itself when it is printable ASCII, else in the base64 form.
    static func headerValue(_ value: String) -> String {
        value.utf8.allSatisfy { (0x20..<0x7F).contains($0) } ? value : "=?base64?" + Data(value.utf8).base64EncodedString() + "?="
    }

    @Test("The URI carries the first 12 hex digits of the HTML's SHA-256, and changes with the HTML")
    func versionedURI() {
        // SHA-256 of the empty string begins e3b0c44298fc.
        #expect(AppView(uri: "ui://a/b", name: "b", title: "B", html: "").uri == "ui://a/b@e3b0c44298fc")
        #expect(Self.view.uri.hasPrefix("ui://notes/list@") && Self.view.uri.count == "ui://notes/list@".count + 12)
        #expect(AppView(uri: "ui://notes/list", name: "n", title: "N", html: Self.html + " ").uri != Self.view.uri)
        #expect(AppView(uri: "ui://notes/list", name: "other", title: "Other", html: Self.html).uri == Self.view.uri)
    }

    @Test("A linked tool carries _meta.ui.resourceUri, the older flat key and ChatGPT's, in both eras; other tools carry no _meta")
    func toolLink() async throws {
        let client = try await self.client()
        let modern = try #require(try await client.modern("tools/list").result?["tools"])
        let session = try await client.initialize()
        let legacy = try #require(try await client.legacy("tools/list", session: session).result?["tools"])
        for tools in [modern, legacy] {
            guard case .array(let list) = tools else { Issue.record("no tools"); return }
            for tool in list {
                let name = tool["name"]?.stringValue ?? ""
                if ["list_todos", "delete_todo"].contains(name) {
                    #expect(tool["_meta"]?["ui"] == ["resourceUri": .string(Self.view.uri)], "\(name)")
                    #expect(tool["_meta"]?["ui/resourceUri"] == .string(Self.view.uri), "\(name)")
                    #expect(tool["_meta"]?["openai/outputTemplate"] == .string(Self.view.uri), "\(name)")
                } else {
                    #expect(tool["_meta"] == nil, "\(name)")
                }
            }
        }
    }

    @Test("The extension is announced in initialize and server/discover when a tool has a view, and only then")
    func extensionAnnounced() async throws {
        for linked in [true, false] {
            let client = try await self.client(linked: linked)
            let discovered = try #require(try await client.modern("server/discover").result?["capabilities"])
            let initialized = try await client.mcp(
                body: JSONValue([
                    "jsonrpc": "2.0", "id": 0, "method": "initialize",
                    "params": [
                        "protocolVersion": "2025-11-25",
                        "capabilities": ["extensions": [AppView.extensionIdentifier: ["mimeTypes": [.string(AppView.mimeType)]]]],
                        "clientInfo": ["name": "host", "version": "1"],
                    ],
                ]).jsonString
            )
            let expected: JSONValue? = linked ? ["io.modelcontextprotocol/ui": [:]] : nil
            for capabilities in [discovered, initialized.result?["capabilities"]] {
                #expect(capabilities?["extensions"] == expected, "linked: \(linked)")
            }
        }
    }

    @Test("Without a resource provider the view alone makes the resources capability, a one-page list and an empty template list")
    func viewWithoutProvider() async throws {
        let client = try await self.client(withProvider: false)
        let capabilities = try #require(try await client.modern("server/discover").result?["capabilities"])
        #expect(capabilities["resources"] == ["subscribe": false, "listChanged": false])
        let listed = try #require(try await client.modern("resources/list").result)
        #expect(listed["resources"]?.arrayCount == 1 && listed["nextCursor"] == nil)
        #expect(try await client.modern("resources/list", params: ["cursor": "page:2"]).errorCode == -32602)
        #expect(try await client.modern("resources/templates/list").result?["resourceTemplates"] == [])
        #expect(try await self.read(client, Self.view.uri).result?["contents"]?.arrayCount == 1)
        #expect(try await self.read(client, "note://0").errorCode == -32602)
        // Nothing to subscribe to.
        let session = try await client.initialize()
        #expect(try await client.legacy("resources/subscribe", params: ["uri": .string(Self.view.uri)], session: session).errorCode != nil)
    }

    @Test("resources/read gives one HTML document with the app media type, an empty CSP and prefersBorder; public and cacheable in 2026-07-28")
    func readView() async throws {
        let client = try await self.client()
        let modern = try #require(try await self.read(client, Self.view.uri).result)
        let expectedMeta: JSONValue = [
            "ui": [
                "csp": ["connectDomains": [], "resourceDomains": [], "frameDomains": [], "baseUriDomains": []],
                "prefersBorder": true,
            ],
            "openai/widgetCSP": ["connect_domains": [], "resource_domains": []],
            "openai/widgetPrefersBorder": true,
            "openai/widgetDescription": "The notes as a list.",
        ]
        #expect(
            modern["contents"] == [
                ["uri": .string(Self.view.uri), "mimeType": "text/html;profile=mcp-app", "text": .string(Self.html), "_meta": expectedMeta]
            ]
        )
        #expect(modern["cacheScope"] == "public")
        #expect(modern["ttlMs"]?.intValue ?? 0 > 0)
        #expect(modern["resultType"] == "complete")

        let session = try await client.initialize()
        let legacy = try #require(try await client.legacy("resources/read", params: ["uri": .string(Self.view.uri)], session: session).result)
        #expect(legacy["contents"] == modern["contents"])
        #expect(legacy["cacheScope"] == nil && legacy["ttlMs"] == nil)
    }

    @Test("Any valid token may read the view (it is the same for everyone); no token may not")
    func readWithoutScopes() async throws {
        let client = try await self.client()
        #expect(try await self.read(client, Self.view.uri, token: "alice-none").result?["contents"]?.arrayCount == 1)
        // A note still needs its scope.
        #expect(try await self.read(client, "note://0", token: "alice-none").status == .forbidden)
        let anonymous = try await client.modern(
            "resources/read",
            params: ["uri": .string(Self.view.uri)],
            token: nil,
            headers: [.mcpProtocolVersion: "2026-07-28", .mcpMethod: "resources/read", .mcpName: Self.view.uri]
        )
        #expect(anonymous.status == .unauthorized)
    }

    @Test("A URI of an older version, or with none, reads the current document under the URI asked for; a near miss is not found")
    func staleAndNearMissURIs() async throws {
        let client = try await self.client()
        for uri in [
            "ui://notes/list", "ui://notes/list@000000000000", "ui://notes/list@anything-a-host-cached",
            "ui://notes/list@" + String(repeating: "f", count: 64),
        ] {
            let contents = try #require(try await self.read(client, uri).result?["contents"])
            #expect(contents.arrayCount == 1)
            #expect(contents[0]?["uri"] == .string(uri))
            #expect(contents[0]?["text"] == .string(Self.html))
            #expect(contents[0]?["mimeType"] == "text/html;profile=mcp-app")
        }
        let session = try await client.initialize()
        let nearMisses = [
            "ui://notes/listing", "ui://notes/list/x", "ui://notes", "ui://other/list@" + Self.view.uri.suffix(12), "ui://notes/l\u{456}st",
            // A version that is empty, too long, or text a host would show as something else.
            "ui://notes/list@", "ui://notes/list@" + String(repeating: "a", count: 65), "ui://notes/list@\u{0}x", "ui://notes/list@a\nb",
            "ui://notes/list@\u{202E}cba", "ui://notes/list@\u{E9}", "ui://notes/list@a b",
        ]
        for uri in nearMisses {
            let modern = try await self.read(client, uri)
            #expect(modern.errorCode == -32602, "\(uri)")
            #expect(modern.json?["error"]?["data"]?["uri"] == .string(uri))
            #expect(try await client.legacy("resources/read", params: ["uri": .string(uri)], session: session).errorCode == -32002, "\(uri)")
        }
    }

    @Test("resources/list leads its first page with the view (with its _meta), once though two tools link it, and not on later pages")
    func listView() async throws {
        let client = try await self.client()
        for title in ["a", "b", "c"] { _ = try await client.callTool("create_todo", ["title": .string(title)]) }
        let first = try #require(try await client.modern("resources/list").result)
        guard case .array(let resources)? = first["resources"] else { Issue.record("no resources"); return }
        #expect(resources.map { $0["uri"]?.stringValue ?? "" } == [Self.view.uri, "note://0", "note://1"])
        #expect(resources[0]["mimeType"] == "text/html;profile=mcp-app")
        #expect(resources[0]["_meta"]?["ui"]?["prefersBorder"] == true)
        #expect(first["cacheScope"] == "private")
        let next = try #require(first["nextCursor"]?.stringValue)
        let second = try #require(try await client.modern("resources/list", params: ["cursor": .string(next)]).result)
        #expect(second["resources"]?.arrayCount == 1)
        #expect(second["resources"]?[0]?["uri"] == "note://2")
    }
}

extension JSONValue {
    fileprivate var arrayCount: Int? { if case .array(let items) = self { items.count } else { nil } }

    fileprivate subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { items[index] } else { nil }
    }
}
