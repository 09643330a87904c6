import Testing

@testable import MCPCore

@Suite("JSON values")
struct JSONValueTests {
    @Test func parsesEveryKind() throws {
        let value = try JSONValue.parse(Array(#"{"a":[1,2.5,"x",true,false,null],"b":{"c":-7}}"#.utf8))
        #expect(value == ["a": [1, 2.5, "x", true, false, nil], "b": ["c": -7]])
        #expect(value["a"]?.typeName == "array")
        #expect(value["b"]?["c"]?.intValue == -7)
    }

    @Test(arguments: [
        "", "{", "[1 2]", "{'a':1}", "nul", "\"unterminated", "01", "[1,]", "{\"a\":1,}", "// c\n1", "[NaN]", "1e999",
        "\"tab\there\"", "\"\\x\"", "\"\\ud800\"", "-", "1.", ".5", "{\"a\" 1}", "[1]]",
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
    ])
    func refusesInvalidJSON(_ text: String) {
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func parsesEscapesAndNumbers() throws {
        let value = try JSONValue.parse(Array(#"{"s":"a\"b\\c\/d\n\u00e9\ud83d\ude00","i":-42,"d":1.5e3,"z":0,"big":12345678901234567890}"#.utf8))
        #expect(value["s"] == "a\"b\\c/d\né😀")
        #expect(value["i"] == -42)
        #expect(value["d"] == 1500.0)
        #expect(value["z"] == 0)
        #expect(value["big"] == .double(1.2345678901234567e19))
        #expect(try JSONValue.parse(Array(" \n[ true , false , null ] \t".utf8)) == [true, false, nil])
    }

    @Test func serializesWithEscapesAndSortedKeys() throws {
        let value: JSONValue = [
            "z": "quote \" backslash \\ newline \n return \r tab \t bell \u{07} unit \u{1F} delete \u{7F} é 👍", "a": [1, 2.5, nil, true],
        ]
        let text = value.jsonString
        #expect(text == #"{"a":[1,2.5,null,true],"z":"quote \" backslash \\ newline \n return \r tab \t bell \u0007 unit \u001f delete \u007f é 👍"}"#)
        #expect(try JSONValue.parse(value.serialized()) == value, "round trip")
    }

    @Test func integersAndWholeDoublesAreIntegers() {
        #expect(JSONValue.double(42.0).intValue == 42)
        #expect(JSONValue.double(42.5).intValue == nil)
        #expect(JSONValue.string("42").intValue == nil)
        #expect(JSONValue.double(.infinity).jsonString == "null")
    }
}

@Suite("Schema validation")
struct SchemaValidatorTests {
    let schema: JSONValue = [
        "type": "object",
        "properties": [
            "name": ["type": "string", "minLength": 1, "maxLength": 3],
            "count": ["type": "integer", "minimum": 1, "maximum": 10],
            "kind": ["type": "string", "enum": ["a", "b"]],
            "note": ["type": ["string", "null"]],
            "tags": ["type": "array", "items": ["type": "string"]],
        ],
        "required": ["name"],
        "additionalProperties": false,
    ]

    @Test(
        arguments: [
            ["name": "abc"],
            ["name": "a", "count": 10, "kind": "b", "note": nil, "tags": ["x"]],
            ["name": "é👍", "count": 1.0],
        ] as [JSONValue]
    )
    func accepts(_ value: JSONValue) {
        #expect(SchemaValidator().violations(of: self.schema, by: value) == [])
    }

    @Test(
        arguments: [
            (["count": 1], "arguments.name is required."),
            (["name": ""], "arguments.name must be at least 1 characters long."),
            (["name": "abcd"], "arguments.name must be at most 3 characters long."),
            (["name": 1], "arguments.name must be string, not integer."),
            (["name": "a", "count": 0], "arguments.count must be at least 1."),
            (["name": "a", "count": 11], "arguments.count must be at most 10."),
            (["name": "a", "count": 1.5], "arguments.count must be integer, not number."),
            (["name": "a", "count": true], "arguments.count must be integer, not boolean."),
            (["name": "a", "kind": "c"], #"arguments.kind must be one of "a", "b"; "c" is not."#),
            (["name": "a", "note": 3], "arguments.note must be string or null, not integer."),
            (["name": "a", "tags": ["x", 2]], "arguments.tags[1] must be string, not integer."),
            (["name": "a", "extra": 1], "arguments.extra is not a known property; the known ones are: count, kind, name, note, tags."),
            ([1, 2], "arguments must be object, not array."),
        ] as [(JSONValue, String)]
    )
    func refuses(_ value: JSONValue, _ message: String) {
        #expect(SchemaValidator().violations(of: self.schema, by: value) == [message])
    }

    @Test func reportsEveryProblem() {
        #expect(SchemaValidator().violations(of: self.schema, by: ["count": 0, "extra": true]).count == 3)
    }
}

@Suite("HTTP details")
struct HTTPDetailTests {
    @Test(arguments: [
        ("tools/call", "tools/call"),
        ("=?base64?bGlzdF90b2Rvcw==?=", "list_todos"),
        ("=?base64?SGVsbG8sIOS4lueVjA==?=", "Hello, 世界"),
        ("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=", "=?base64?literal?="),
    ])
    func headerValuesDecode(_ header: String, _ expected: String) {
        #expect(MCPEndpoint.decodeHeaderValue(header) == expected)
    }

    @Test func brokenBase64IsRefused() {
        #expect(MCPEndpoint.decodeHeaderValue("=?base64?***?=") == nil)
    }

    @Test(
        arguments: [
            (nil, true, true), ("application/json, text/event-stream", true, true), ("*/*", true, true),
            ("application/*", true, false), ("text/event-stream", false, true), ("text/html", false, false),
            ("application/json;q=0, text/event-stream", false, true), ("application/json; q=0.5", true, false),
        ] as [(String?, Bool, Bool)]
    )
    func acceptHeader(_ header: String?, _ json: Bool, _ eventStream: Bool) {
        let accepted = AcceptedMediaTypes(header)
        #expect(accepted.json == json)
        #expect(accepted.eventStream == eventStream)
    }

    @Test func sessionIDsAreVisibleASCIIAndRandom() {
        let ids = (0..<100).map { _ in MCPSession.newID() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.utf8.count == 43 && $0.utf8.allSatisfy { (0x21...0x7E).contains($0) } })
    }
}
