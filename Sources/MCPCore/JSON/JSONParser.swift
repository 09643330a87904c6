/// A strict RFC 8259 parser from UTF-8 bytes straight into ``JSONValue``: no intermediate
/// representation, no trailing commas, no comments, no repeated member names, nesting at most
/// 128 deep.
///
/// Written by hand for speed on the request path (Foundation's parser builds `NSObject` trees
/// first). Repeated member names are refused, not resolved: otherwise a body could say one thing
/// to a check that reads the first and another to code that reads the last. Names that differ
/// only in Unicode normalization count as repeated, since `String` compares them as equal.
struct JSONParser {
    struct Failure: Error {
        var offset: Int
        var reason: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw Failure(offset: parser.index, reason: "unexpected text after the value") }
        return value
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private mutating func value() throws(Failure) -> JSONValue {
        guard self.index < self.bytes.count else { throw self.failure("unexpected end") }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return try self.object()
        case UInt8(ascii: "["): return try self.array()
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"): try self.literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try self.literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try self.literal("null"); return .null
        default: return try self.number()
        }
    }

    private mutating func object() throws(Failure) -> JSONValue {
        try self.enter()
        self.index += 1
        var members: [String: JSONValue] = [:]
        self.skipWhitespace()
        if self.peek(UInt8(ascii: "}")) {
            self.index += 1
            self.depth -= 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.peek(UInt8(ascii: "\"")) else { throw self.failure("expected a member name") }
            let keyOffset = self.index
            let key = try self.string()
            self.skipWhitespace()
            try self.expect(UInt8(ascii: ":"))
            self.skipWhitespace()
            guard members.updateValue(try self.value(), forKey: key) == nil else {
                throw Failure(offset: keyOffset, reason: "the member name \"\(key.prefix(40))\" appears more than once")
            }
            self.skipWhitespace()
            if self.peek(UInt8(ascii: ",")) {
                self.index += 1
                continue
            }
            try self.expect(UInt8(ascii: "}"))
            self.depth -= 1
            return .object(members)
        }
    }

    private mutating func array() throws(Failure) -> JSONValue {
        try self.enter()
        self.index += 1
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.peek(UInt8(ascii: "]")) {
            self.index += 1
            self.depth -= 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.value())
            self.skipWhitespace()
            if self.peek(UInt8(ascii: ",")) {
                self.index += 1
                continue
            }
            try self.expect(UInt8(ascii: "]"))
            self.depth -= 1
            return .array(elements)
        }
    }

    private mutating func string() throws(Failure) -> String {
        self.index += 1
        let start = self.index
        // Fast path: no escapes. ASCII text needs no UTF-8 validation, which would cost more than
        // the scan (most names and values in JSON-RPC are ASCII).
        var isASCII = true
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                let content = UnsafeBufferPointer(rebasing: self.bytes[start..<self.index])
                let text = isASCII ? String(decoding: content, as: UTF8.self) : String(validating: content, as: UTF8.self)
                guard let text else { throw self.failure("invalid UTF-8") }
                self.index += 1
                return text
            }
            isASCII = isASCII && byte < 0x80
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw self.failure("control character in a string") }
            self.index += 1
        }
        var scalars: [UInt8] = Array(self.bytes[start..<self.index])
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: scalars, as: UTF8.self) else { throw self.failure("invalid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard self.index < self.bytes.count else { throw self.failure("unexpected end") }
                let escape = self.bytes[self.index]
                self.index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try self.hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                            self.bytes[self.index + 1] == UInt8(ascii: "u")
                        else { throw self.failure("unpaired surrogate") }
                        self.index += 2
                        let low = try self.hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw self.failure("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw self.failure("invalid escape") }
                    scalars.append(contentsOf: String(scalar).utf8)
                default:
                    throw self.failure("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw self.failure("control character in a string") }
                scalars.append(byte)
            }
        }
        throw self.failure("unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw self.failure("unexpected end") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            self.index += 1
        }
        return value
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = self.index
        if self.peek(UInt8(ascii: "-")) { self.index += 1 }
        guard self.index < self.bytes.count, self.isDigit(self.bytes[self.index]) else { throw self.failure("unexpected character") }
        if self.bytes[self.index] == UInt8(ascii: "0") {
            self.index += 1
            if self.index < self.bytes.count, self.isDigit(self.bytes[self.index]) { throw self.failure("leading zero") }
        } else {
            while self.index < self.bytes.count, self.isDigit(self.bytes[self.index]) { self.index += 1 }
        }
        var isInteger = true
        if self.peek(UInt8(ascii: ".")) {
            isInteger = false
            self.index += 1
            guard self.index < self.bytes.count, self.isDigit(self.bytes[self.index]) else { throw self.failure("digit expected") }
            while self.index < self.bytes.count, self.isDigit(self.bytes[self.index]) { self.index += 1 }
        }
        if self.peek(UInt8(ascii: "e")) || self.peek(UInt8(ascii: "E")) {
            isInteger = false
            self.index += 1
            if self.peek(UInt8(ascii: "+")) || self.peek(UInt8(ascii: "-")) { self.index += 1 }
            guard self.index < self.bytes.count, self.isDigit(self.bytes[self.index]) else { throw self.failure("digit expected") }
            while self.index < self.bytes.count, self.isDigit(self.bytes[self.index]) { self.index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
        if isInteger, let int = Int64(text) { return .int(int) }
        guard let double = Double(text), double.isFinite else { throw self.failure("number out of range") }
        return .double(double)
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else { throw self.failure("unexpected end") }
        for offset in 0..<count where self.bytes[self.index + offset] != word.utf8Start[offset] {
            throw self.failure("unexpected character")
        }
        self.index += count
    }

    /// The deepest nesting of arrays and objects accepted.
    static let maxDepth = 128

    private mutating func enter() throws(Failure) {
        self.depth += 1
        guard self.depth <= Self.maxDepth else { throw self.failure("nested too deeply") }
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard self.peek(byte) else { throw self.failure("expected '\(Character(Unicode.Scalar(byte)))'") }
        self.index += 1
    }

    private func peek(_ byte: UInt8) -> Bool { self.index < self.bytes.count && self.bytes[self.index] == byte }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    private func failure(_ reason: String) -> Failure { Failure(offset: self.index, reason: reason) }
}
