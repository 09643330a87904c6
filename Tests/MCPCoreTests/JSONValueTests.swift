import Foundation
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

    @Test("Found by fuzzing: a whole double prints as an integer, which reads back as the same number")
    func wholeDoublesRoundTripByValue() throws {
        for text in ["0.0", "-0.0", "2.0", "1e3", "-5E0"] {
            let value = try JSONValue.parse(Array(text.utf8))
            let again = try JSONValue.parse(value.serialized())
            #expect(again.intValue == value.intValue && again.intValue != nil, "\(text)")
            #expect(again.serialized() == value.serialized())
        }
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

/// The parser's edges, and a comparison with Foundation's parser on random documents.
@Suite("JSON parser")
struct JSONParserTests {
    @Test(arguments: [#"{"a":1,"a":2}"#, #"{"method":"x","params":{},"method":"y"}"#, #"[{"k":1,"j":2,"k":3}]"#, "{\"\u{e9}\":1,\"e\u{301}\":2}"])
    func refusesRepeatedMemberNames(_ text: String) {
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test(
        arguments: [
            [0x22, 0xC3, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
            [0x22, 0xC0, 0xAF, 0x22], [0x5B, 0xC3, 0xA9, 0x5D], [0x22, 0x5C, 0x6E, 0xE2, 0x82, 0x22],
        ] as [[UInt8]]
    )
    func refusesInvalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: (any Error).self) { try JSONValue.parse(bytes) }
    }

    @Test(arguments: [#""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\udbff\udbff""#, #""\ud800x""#, #""\uDFFF\uD800""#])
    func refusesLoneSurrogates(_ text: String) {
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func depthLimitBoundary() throws {
        let depth = JSONParser.maxDepth
        let deepest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: Never.self) { try JSONValue.parse(Array(deepest.utf8)) }
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        #expect(throws: Never.self) { try JSONValue.parse(Array(objects.utf8)) }
        let tooDeep = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(tooDeep.utf8)) }
        let hugeDepth = String(repeating: "[", count: 100_000)
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(hugeDepth.utf8)) }
    }

    @Test("Random documents parse as Foundation parses them; mutated ones are never accepted when Foundation refuses them")
    func differentialAgainstFoundation() throws {
        var random = SplitMix64(seed: 0x5EED_1234)
        var mutatedAccepted = 0
        for _ in 0..<3_000 {
            let document = RandomJSON.value(depth: 0, using: &random)
            let text = RandomJSON.text(of: document, using: &random)
            let ours = try JSONValue.parse(text)
            let theirs = try JSONSerialization.jsonObject(with: Data(text), options: .fragmentsAllowed) as! NSObject
            let roundTrip = try JSONSerialization.jsonObject(with: Data(ours.serialized()), options: .fragmentsAllowed) as! NSObject
            #expect(RandomJSON.same(theirs, roundTrip), "\(String(decoding: text, as: UTF8.self))")

            var mutated = text
            for _ in 0...Int(random.next() % 3) where !mutated.isEmpty {
                let index = Int(random.next() % UInt64(mutated.count))
                switch random.next() % 3 {
                case 0: mutated[index] = UInt8(truncatingIfNeeded: random.next())
                case 1: mutated.remove(at: index)
                default: mutated.insert(RandomJSON.interesting[Int(random.next() % UInt64(RandomJSON.interesting.count))], at: index)
                }
            }
            if let value = try? JSONValue.parse(mutated) {
                mutatedAccepted += 1
                let foundation = try? JSONSerialization.jsonObject(with: Data(mutated), options: .fragmentsAllowed)
                #expect(foundation != nil, "we accepted what Foundation refuses: \(mutated)")
                if let foundation {
                    let again = try JSONSerialization.jsonObject(with: Data(value.serialized()), options: .fragmentsAllowed) as! NSObject
                    #expect(RandomJSON.same(foundation, again), "\(String(decoding: mutated, as: UTF8.self))")
                }
            }
        }
        #expect(mutatedAccepted > 0, "some mutations stay valid, so the comparison ran")
    }
}

/// A small seeded generator, so that a failure repeats.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random JSON documents and texts, with whitespace and escapes where the grammar allows them.
enum RandomJSON {
    /// Whether two Foundation JSON objects are equal, numbers within the precision of a `Double`
    /// (Foundation keeps extra digits as decimals).
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (let x as String, let y as String): return x == y
        case (let x as [Any], let y as [Any]): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (let x as [String: Any], let y as [String: Any]):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
        case (let x as NSNumber, let y as NSNumber):
            let (p, q) = (x.doubleValue, y.doubleValue)
            return p == q || abs(p - q) <= 1e-12 * max(abs(p), abs(q))
        case (is NSNull, is NSNull): return true
        default: return false
        }
    }

    static let interesting: [UInt8] = Array(#"{}[]",:\ \#t"#.utf8) + [0x00, 0x0A, 0x7F, 0xC3, 0xE9, 0xFF] + Array("0-.eE+ntfu".utf8)

    static func value(depth: Int, using random: inout SplitMix64) -> JSONValue {
        switch random.next() % (depth > 4 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(random.next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: random.next()) >> Int64(random.next() % 63))
        case 3: return .double(Double(Int64(bitPattern: random.next()) >> 20) / Double(1 << (random.next() % 30)))
        case 4: return .string(self.string(using: &random))
        case 5: return .array((0..<Int(random.next() % 5)).map { _ in self.value(depth: depth + 1, using: &random) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int(random.next() % 5) { members[self.string(using: &random)] = self.value(depth: depth + 1, using: &random) }
            return .object(members)
        }
    }

    static func string(using random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<Int(random.next() % 8) {
            let pick = random.next() % 4
            let value: UInt32 =
                switch pick {
                case 0: UInt32(random.next() % 0x80)
                case 1: UInt32(random.next() % 0x800)
                case 2: UInt32(random.next() % 0x10000)
                default: UInt32(random.next() % 0x110000)
                }
            if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
        }
        return text
    }

    /// `value` as text: our serializer's output with some strings' characters written as `\u`
    /// escapes and whitespace between tokens.
    static func text(of value: JSONValue, using random: inout SplitMix64) -> [UInt8] {
        var output: [UInt8] = []
        var inString = false
        var escaped = false
        var hexDigitsLeft = 0
        for byte in value.serialized() {
            if inString {
                if hexDigitsLeft > 0 {
                    hexDigitsLeft -= 1
                } else if escaped {
                    escaped = false
                    if byte == UInt8(ascii: "u") { hexDigitsLeft = 4 }
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                } else if byte < 0x80, random.next() % 8 == 0 {
                    output.append(
                        contentsOf: Array(("\\u00" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: random.next() % 2 == 0)).utf8)
                    )
                    continue
                }
                output.append(byte)
                continue
            }
            let isToken = "{}[],:\"".utf8.contains(byte)
            if byte == UInt8(ascii: "\"") { inString = true }
            if isToken, random.next() % 4 == 0 { output.append([0x20, 0x09, 0x0A, 0x0D][Int(random.next() % 4)]) }
            output.append(byte)
        }
        return output
    }
}
