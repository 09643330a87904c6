import Foundation

/// The stable identifier of a user: the owner of todos.
///
/// It is opaque to the domain; whoever creates users (the login flow) decides its form.
public struct UserID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The identifier as stored and printed.
    public let rawValue: String

    /// Wraps an existing identifier.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    public var description: String { self.rawValue }
}

/// The identifier of a todo: 128 random bits, so it can be neither guessed nor enumerated.
///
/// Printed as `t_` followed by 26 lowercase Crockford base-32 characters, for example
/// `t_5x3kq8d2m1c0v7b9n4r6w2y8za`.
public struct TodoID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The identifier as stored and printed.
    public let rawValue: String

    /// Parses an identifier; returns `nil` for anything that is not of our form.
    public init?(_ rawValue: String) {
        guard rawValue.utf8.count == 28, rawValue.hasPrefix("t_"),
            rawValue.utf8.dropFirst(2).allSatisfy({ Base32.isDigit[Int($0)] })
        else { return nil }
        self.rawValue = rawValue
    }

    /// A new identifier from the system's secure generator.
    ///
    /// It draws with `UInt64.random(in:)` rather than passing a `SystemRandomNumberGenerator`
    /// `inout`: that generator has no stored properties, and ThreadSanitizer on Linux crashes on
    /// `inout` accesses to such values in our code.
    public static func random() -> TodoID {
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for _ in 0..<2 { Self.append(UInt64.random(in: .min ... .max), to: &bytes) }
        return TodoID(unchecked: "t_" + Base32.encode(bytes))
    }

    /// A new identifier drawn from `generator`.
    public static func random(using generator: inout some RandomNumberGenerator) -> TodoID {
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for _ in 0..<2 { Self.append(generator.next(), to: &bytes) }
        return TodoID(unchecked: "t_" + Base32.encode(bytes))
    }

    private static func append(_ word: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
    }

    private init(unchecked rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let id = TodoID(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not a todo id: \(string)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    public var description: String { self.rawValue }
}

/// Lowercase Crockford base 32 without padding: no `i`, `l`, `o` or `u`, so ids read back unambiguously.
enum Base32 {
    static let alphabet: [UInt8] = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    /// Whether a byte is one of the alphabet's, by its value.
    static let isDigit: [Bool] = (0...255).map { alphabet.contains(UInt8($0)) }

    static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }
}
