package import HTTPTypes
import Foundation

extension StringProtocol {
    /// Whether the text holds a control character (general category Cc, NUL among them): no
    /// identifier or name a person reads has one, and PostgreSQL text cannot even hold a NUL.
    package var containsControlCharacters: Bool {
        self.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

/// Hexadecimal text of bytes, lowercase: how hashes are stored and compared.
package enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `bytes` as lowercase hex.
    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes { self.append(byte, to: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the two hex digits of `byte` to `output`.
    @inline(__always)
    package static func append(_ byte: UInt8, to output: inout [UInt8]) {
        output.append(self.digits[Int(byte >> 4)])
        output.append(self.digits[Int(byte & 0xF)])
    }
}

/// Media types in `Content-Type` and `Accept` values (RFC 9110 §8.3.1).
///
/// Read as bytes: both headers are checked on every MCP request, and media types, parameter names
/// and q-values are ASCII, compared without regard to ASCII case.
package enum MediaType {
    /// Whether `value` is `type` (lowercase, such as `application/json`), with or without parameters.
    package static func `is`(_ value: String?, _ type: String) -> Bool {
        guard var value else { return false }
        return value.withUTF8 { value in
            let essence = value.prefix { $0 != UInt8(ascii: ";") }
            return Self.equalsIgnoringASCIICase(Self.trimmed(essence), type.utf8)
        }
    }

    /// Whether the `Accept` value `header` allows `type` (lowercase, such as `text/event-stream`):
    /// the most specific media range that covers it (the type itself, then `text/*`, then `*/*`)
    /// is not refused with `q=0` (RFC 9110 §12.5.1). No header, or an empty one, allows every type.
    /// With `explicitly`, only a range that names the type counts, and no header allows nothing:
    /// for answering browsers, which name `text/html`, differently from clients that take anything.
    package static func accepts(_ header: String?, _ type: String, explicitly: Bool = false) -> Bool {
        guard var header else { return !explicitly }
        return header.withUTF8 { Self.accepts($0[...], type, explicitly: explicitly) }
    }

    private typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    private static func accepts(_ header: Bytes, _ type: String, explicitly: Bool) -> Bool {
        guard !Self.trimmed(header).isEmpty else { return !explicitly }
        let family = Array(type.utf8.prefix { $0 != UInt8(ascii: "/") }) + Array("/*".utf8)
        var best: (specificity: Int, refused: Bool)?
        for range in header.split(separator: UInt8(ascii: ",")) {
            var parts = range.split(separator: UInt8(ascii: ";"))[...]
            guard let first = parts.popFirst() else { continue }
            let name = Self.trimmed(first)
            let specificity =
                Self.equalsIgnoringASCIICase(name, type.utf8) ? 3
                : explicitly ? 0
                : Self.equalsIgnoringASCIICase(name, family) ? 2
                : Self.equalsIgnoringASCIICase(name, "*/*".utf8) ? 1 : 0
            guard specificity > (best?.specificity ?? 0) else { continue }
            let refused = parts.contains { parameter in
                let pair = parameter.split(separator: UInt8(ascii: "="), maxSplits: 1).map(Self.trimmed)
                return pair.count == 2 && Self.equalsIgnoringASCIICase(pair[0], "q".utf8)
                    && Double(String(decoding: pair[1], as: UTF8.self)) == 0
            }
            best = (specificity, refused)
        }
        return best.map { !$0.refused } ?? false
    }

    /// The bytes without the spaces and tabs HTTP allows around a value.
    private static func trimmed(_ bytes: Bytes) -> Bytes {
        let isContent = { (byte: UInt8) in byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: isContent), let last = bytes.lastIndex(where: isContent) else {
            return bytes[bytes.endIndex...]
        }
        return bytes[first...last]
    }

    /// Whether `bytes` spell `lowercase` (lowercase ASCII) in any ASCII case.
    private static func equalsIgnoringASCIICase(_ bytes: Bytes, _ lowercase: some Collection<UInt8>) -> Bool {
        bytes.elementsEqual(lowercase) { byte, expected in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected
        }
    }
}

/// Loopback hosts and addresses.
package enum Loopback {
    /// Whether `host` (a name, an IPv4 address or an IPv6 address with or without brackets) is the
    /// loopback interface: `localhost`, `127.0.0.0/8`, `::1` or `::ffff:127.x.x.x`.
    package static func isLoopback(_ host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "::1" { return true }
        if host.hasPrefix("::ffff:") { host.removeFirst(7) }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { !$0.isEmpty && $0.utf8.count <= 3 && UInt8($0) != nil }
    }
}

extension Substring {
    /// The text without the spaces and tabs HTTP allows around a value (RFC 9110 §5.6.3).
    package var trimmingHTTPWhitespace: Substring {
        let isContent = { (byte: UInt8) in byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") }
        guard let first = self.utf8.firstIndex(where: isContent), let last = self.utf8.lastIndex(where: isContent) else {
            return self[self.endIndex...]
        }
        return self[first...last]
    }
}

/// Compares two strings in time that does not depend on where they differ (only on their lengths).
package func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
    let left = Array(lhs.utf8)
    let right = Array(rhs.utf8)
    guard left.count == right.count else { return false }
    var difference: UInt8 = 0
    for index in left.indices { difference |= left[index] ^ right[index] }
    return difference == 0
}

extension HTTPFields {
    /// The value of the field `name`, as the subscript gives it (repeated fields joined by ", ",
    /// cookies by "; "), found in one pass: the subscript joins through a generic lazy sequence,
    /// which costs several times more, and the MCP endpoint reads eight fields per request.
    package func value(_ name: HTTPField.Name) -> String? {
        var value: String?
        for field in self where field.name == name {
            if let found = value {
                value = found + (name == .cookie ? "; " : ", ") + field.value
            } else {
                value = field.value
            }
        }
        return value
    }
}

/// A value behind an `NSLock`, with the `withLock` of `Synchronization.Mutex`.
///
/// `Mutex` waits on a futex on Linux, which ThreadSanitizer does not see as ordering: `make harden`
/// then reports races that are none, now and then. A pthread mutex it sees.
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, under the lock.
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        self.lock.lock()
        defer { self.lock.unlock() }
        return try body(&self.value)
    }
}
