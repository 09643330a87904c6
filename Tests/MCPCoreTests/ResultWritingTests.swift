import EndpointCore
import EndpointTestSupport
import Foundation
import HTTPTypes
import MCPTestSupport
import PropertyBased
import Testing

@testable import MCPCore

/// Results are written once, straight to bytes, in the shape each era wants.
@Suite("Result writing")
struct ResultWritingTests {
    /// The result object `result` writes, parsed back.
    static func written(_ result: ToolResult) throws -> JSONValue {
        var output: [UInt8] = [UInt8(ascii: "{")]
        result.writeMembers(to: &output)
        output.append(UInt8(ascii: "}"))
        return try JSONValue.parse(output)
    }

    @Test("A structured result's text block is exactly the JSON of structuredContent, whatever the text holds")
    func textMirrorsStructuredContent() async throws {
        let tricky: [String] = ["plain", "quote \" and backslash \\", "line\nbreak\ttab\u{1}", "é\u{301} 😀 \u{2028}", "</script>", ""]
        for text in tricky {
            let value: JSONValue = ["title": .string(text), "n": 1, "list": [.string(text), nil, true]]
            let written = try Self.written(.structured(value))
            #expect(written["structuredContent"] == value)
            let block = try #require(written["content"].flatMap { if case .array(let blocks) = $0 { blocks.first } else { nil } })
            #expect(block["type"] == "text")
            #expect(block["text"]?.stringValue == value.jsonString, "the text is the serialized structured content, byte for byte")
            #expect(written["isError"] == nil)
        }
    }

    @Test("Random Unicode in a structured result round-trips through its text block")
    func randomUnicode() async {
        let scalar = Gen<UInt32>.value(in: 0...0x10FFFF).compactMap { Unicode.Scalar($0) }
        let text = scalar.array(of: 0...16).map { scalars in
            var string = ""
            string.unicodeScalars.append(contentsOf: scalars)
            return string
        }
        await propertyCheck(count: 200, input: text) { text in
            let value: JSONValue = ["text": .string(text)]
            let written = try? Self.written(.structured(value))
            let block = written?["content"].flatMap { if case .array(let blocks) = $0 { blocks.first } else { nil } }
            #expect(block?["text"]?.stringValue.flatMap { try? JSONValue.parse(Array($0.utf8)) } == value)
        }
    }

    @Test("Extra content blocks follow the mirrored text; errors and plain results are written as given")
    func otherShapes() throws {
        var result = ToolResult.structured(["a": 1])
        result.content = [["type": "text", "text": "more"]]
        let written = try Self.written(result)
        guard case .array(let blocks)? = written["content"] else { Issue.record("no content"); return }
        #expect(blocks.count == 2 && blocks[1]["text"] == "more")

        let error = try Self.written(.error("Bad \"input\"."))
        #expect(error["isError"] == true)
        #expect(error["structuredContent"] == nil)
        #expect(error["content"] == [["type": "text", "text": "Bad \"input\"."]])

        let plain = try Self.written(ToolResult(content: [["type": "text", "text": "hi"]], structuredContent: ["x": 1]))
        #expect(plain["content"] == [["type": "text", "text": "hi"]], "no mirror unless asked for")
        #expect(plain["structuredContent"] == ["x": 1])
    }

    @Test("A 2026-07-28 result carries resultType and serverInfo once; a legacy result carries neither")
    func envelopes() async throws {
        let fixture = try await MCPFixture()
        try await fixture.app().test(.router) { client in
            let modern = try await client.callTool("list_todos")
            #expect(modern.body.components(separatedBy: "\"_meta\"").count == 2, "exactly one _meta")
            #expect(modern.result?["resultType"] == "complete")
            #expect(modern.result?["_meta"] == ["io.modelcontextprotocol/serverInfo": ["name": "todo-server", "version": "1.0.0", "title": "Todo"]])
            #expect(modern.json?["jsonrpc"] == "2.0" && modern.json?["id"] == 1)

            let session = try await client.initialize()
            let legacy = try await client.legacy("tools/call", params: ["name": "list_todos"], session: session, id: "a")
            #expect(legacy.result?["resultType"] == nil)
            #expect(legacy.result?["_meta"] == nil)
            #expect(legacy.json?["id"] == "a")
            #expect(legacy.structured == ["todos": []])
            let ping = try await client.legacy("ping", session: session)
            #expect(ping.result == [:], "an empty result is an empty object")
            let discover = try await client.modern("server/discover")
            #expect(discover.result?["resultType"] == "complete" && discover.result?["capabilities"] != nil)
        }
    }

    @Test("Mounted at /mcp, the endpoint serves that path only")
    func mountedPath() async throws {
        var fixture = try await MCPFixture()
        fixture.configuration.path = "/mcp"
        let endpoint = fixture.endpoint()
        #expect(endpoint.routes == [EndpointRoute("/mcp", methods: [.post, .get, .delete, .options])])
        let client = EndpointTestClient([endpoint])
        #expect(try await client.send(uri: "/", method: .post, headers: [:], body: nil).status == .notFound)
        let answer = try await client.execute(
            uri: "/mcp",
            method: .post,
            headers: [
                .authorization: "Bearer alice", .contentType: "application/json", .accept: "application/json",
                .mcpProtocolVersion: "2025-11-25",
            ],
            body: #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#
        ) { $0 }
        #expect(answer.status == .ok)
        #expect(answer.headers[.mcpSessionID] != nil)
    }
}
