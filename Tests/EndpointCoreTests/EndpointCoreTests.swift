import EndpointCore
import HTTPTypes
import Testing

/// The helpers every endpoint shares: one of each.
@Suite("Endpoint helpers")
struct EndpointCoreTests {
    @Test(arguments: [
        ("application/json", "application/json", true), ("Application/JSON; charset=utf-8", "application/json", true),
        (" application/json ;x=y", "application/json", true), ("application/jsonx", "application/json", false),
        ("application/json-patch+json", "application/json", false), ("text/json", "application/json", false),
        ("", "application/json", false), ("\tAPPLICATION/Json\t", "application/json", true),
        // Only ASCII folds: a Kelvin sign (U+212A) lowercases to "k" as Unicode, never here.
        ("text/mar\u{212A}down", "text/markdown", false), ("application/json\u{0}", "application/json", false),
    ])
    func mediaTypes(_ value: String, _ type: String, _ expected: Bool) {
        #expect(MediaType.is(value, type) == expected)
    }

    @Test("A field's value is what the HTTPFields subscript gives, however often the field repeats")
    func fieldValues() {
        var fields: HTTPFields = [.accept: "application/json", .authorization: "Bearer a"]
        fields.append(HTTPField(name: .authorization, value: "Bearer b"))
        fields.append(HTTPField(name: HTTPField.Name("MCP-Session-ID")!, value: "s1"))
        fields.append(HTTPField(name: .cookie, value: "a=1"))
        fields.append(HTTPField(name: .cookie, value: "b=2"))
        for name in [HTTPField.Name.accept, .authorization, HTTPField.Name("mcp-session-id")!, .cookie, .origin, .contentType] {
            #expect(fields.value(name) == fields[name], "\(name)")
        }
        #expect(fields.value(.authorization) == "Bearer a, Bearer b", "a repeated field is not silently one of its values")
        #expect(fields.value(.cookie) == "a=1; b=2")
        #expect(fields.value(.origin) == nil)
    }

    @Test("Accept: ranges, wildcards, q=0 refusals, and the explicit form browsers get")
    func accept() {
        #expect(MediaType.accepts(nil, "text/event-stream"))
        #expect(MediaType.accepts("  ", "application/json"))
        #expect(MediaType.accepts("application/json, text/event-stream", "text/event-stream"))
        #expect(MediaType.accepts("*/*", "application/json"))
        #expect(MediaType.accepts("text/*", "text/event-stream"))
        #expect(!MediaType.accepts("text/*", "application/json"))
        #expect(!MediaType.accepts("application/json;q=0, */*", "application/json"), "the most specific range decides")
        #expect(MediaType.accepts("*/*;q=0, application/json", "application/json"))
        #expect(!MediaType.accepts("text/*;q=0, */*", "text/event-stream"))
        #expect(!MediaType.accepts("application/json;q=0", "application/json"))
        #expect(!MediaType.accepts("application/json; q=0.0", "application/json"))
        #expect(MediaType.accepts("application/json; q=0.5", "application/json"))
        #expect(MediaType.accepts("text/html,application/xhtml+xml,*/*;q=0.8", "text/html", explicitly: true))
        #expect(!MediaType.accepts("*/*", "text/html", explicitly: true))
        #expect(!MediaType.accepts(nil, "text/html", explicitly: true))
        #expect(!MediaType.accepts("text/html;q=0", "text/html", explicitly: true))
        #expect(!MediaType.accepts("APPLICATION/JSON; Q=0, */*", "application/json"), "names and q in any ASCII case")
        #expect(MediaType.accepts("Text/*", "text/event-stream"))
        #expect(!MediaType.accepts(",,;;, ,", "application/json"), "nothing named")
        #expect(MediaType.accepts("application/json;q=, */*;q==0", "application/json"), "a malformed q refuses nothing")
        #expect(!MediaType.accepts("text/\u{212A}, application/json", "text/k"), "no Unicode case folding")
    }

    @Test(arguments: [
        ("localhost", true), ("LOCALHOST", true), ("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("[::1]", true),
        ("::ffff:127.0.0.1", true), ("128.0.0.1", false), ("127.0.0.256", false), ("127.0.0", false), ("127..0.1", false),
        ("localhost.evil.example", false), ("0.0.0.0", false), ("", false),
    ])
    func loopback(_ host: String, _ expected: Bool) {
        #expect(Loopback.isLoopback(host) == expected)
    }

    @Test func hexAndBase64URL() {
        #expect(Hex.encode([0x00, 0x0F, 0xA5, 0xFF]) == "000fa5ff")
        #expect(Hex.encode([]) == "")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode(Array("-_8".utf8)) == [0xFB, 0xFF])
        #expect(Base64URL.decode(Array("-_9".utf8)) == nil, "unused bits must be zero")
    }

    @Test("A route matches its path, and only with descendants the paths below it")
    func routes() {
        let exact = EndpointRoute("/auth/oauth/token", methods: [.post])
        #expect(exact.matches(path: "/auth/oauth/token"))
        #expect(!exact.matches(path: "/auth/oauth/token/"))
        #expect(!exact.matches(path: "/auth/oauth/tokens"))
        let tree = EndpointRoute("/.well-known/oauth-protected-resource", includesDescendants: true, methods: [.get])
        #expect(tree.matches(path: "/.well-known/oauth-protected-resource/mcp"))
        #expect(!tree.matches(path: "/.well-known/oauth-protected-resourcex"))
    }

    @Test func bufferedBodies() async throws {
        let body = BufferedBody("hello")
        #expect(try await body.collect(upTo: 5) == Array("hello".utf8))
        #expect(try await body.collect(upTo: 4) == nil)
    }
}
