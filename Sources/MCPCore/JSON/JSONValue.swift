import EndpointCore
import Foundation

/// Any JSON value: what arrives in JSON-RPC params and leaves in results.
public enum JSONValue: Hashable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number without fraction or exponent that fits 64 bits.
    case int(Int64)
    /// Any other number: one with a fraction or exponent, or too large for `int`.
    case double(Double)
    /// A string.
    case string(String)
    /// An array, in order.
    case array([JSONValue])
    /// An object; the order of its members is not kept.
    case object([String: JSONValue])

    /// The member `key` of an object; `nil` for other values or a missing key.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The string of a `string`; `nil` for other values.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// The members of an `object`; `nil` for other values.
    public var objectValue: [String: JSONValue]? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// The value of a `bool`; `nil` for other values.
    public var boolValue: Bool? {
        if case .bool(let bool) = self { return bool }
        return nil
    }

    /// The value as an integer: an `int`, or a `double` with no fraction (JSON does not tell `2` from `2.0`).
    public var intValue: Int64? {
        switch self {
        case .int(let int): int
        case .double(let double) where double.rounded() == double && abs(double) < 9.2e18: Int64(double)
        default: nil
        }
    }

    /// The JSON type name, as JSON Schema spells it.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = [String: JSONValue](minimumCapacity: elements.count)
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

extension JSONValue {
    /// Parses UTF-8 JSON text (RFC 8259, strictly: no trailing commas or comments).
    ///
    /// - Throws: when the bytes are not one valid JSON value.
    public static func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        if let value = try bytes.withContiguousStorageIfAvailable({ buffer throws -> JSONValue in try JSONParser.parse(buffer) }) {
            return value
        }
        return try Array(bytes).withUnsafeBufferPointer { try JSONParser.parse($0) }
    }

    /// The value as compact UTF-8 JSON text, with object keys sorted so that equal values print alike.
    public func serialized() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(4096)
        self.write(to: &output)
        return output
    }

    /// The value as compact JSON text.
    public var jsonString: String { String(decoding: self.serialized(), as: UTF8.self) }

    /// Appends the value as compact JSON text, object keys sorted.
    package func write(to output: inout [UInt8]) {
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let bool):
            output.append(contentsOf: (bool ? "true" : "false").utf8)
        case .int(let int):
            output.append(contentsOf: String(int).utf8)
        case .double(let double):
            if double.isFinite {
                output.append(contentsOf: (double.rounded() == double && abs(double) < 1e15 ? String(Int64(double)) : "\(double)").utf8)
            } else {
                output.append(contentsOf: "null".utf8)
            }
        case .string(let string):
            Self.writeString(string, to: &output)
        case .array(let array):
            output.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            Self.writeMembers(of: object, to: &output)
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Appends the members of `object`, keys sorted and comma-separated, without the braces.
    package static func writeMembers(of object: [String: JSONValue], to output: inout [UInt8]) {
        for (index, member) in object.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            Self.writeString(member.key, to: &output)
            output.append(UInt8(ascii: ":"))
            member.value.write(to: &output)
        }
    }

    /// Appends `string` as a JSON string.
    package static func writeString(_ string: String, to output: inout [UInt8]) {
        var string = string
        string.withUTF8 { Self.writeString(utf8: $0, to: &output) }
    }

    /// Appends UTF-8 text as a JSON string: for JSON text carried inside a string, without
    /// decoding it first.
    package static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            // Control characters, quote, backslash and DEL (compared inline: a table in a static
            // costs a lazy-initialization check and a bounds check per byte).
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else { continue }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            output.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
            case UInt8(ascii: "\n"): output.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): output.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): output.append(UInt8(ascii: "t"))
            default:
                output.append(contentsOf: "u00".utf8)
                Hex.append(byte, to: &output)
            }
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        output.append(UInt8(ascii: "\""))
    }

}
