import Crypto
import Foundation

/// The opaque cursor of a listing page: the sort key of the last todo returned, bound to the filter
/// it was issued for and sealed with a checksum so that an edited cursor is refused, not misread.
///
/// A cursor carries no authority: every listing is filtered by its owner, so even a well-formed
/// cursor never reveals another user's todos.
package struct TodoCursor: Hashable, Sendable {
    var filter: TodoFilter
    var after: TodoSortKey

    private static let version = "c2"

    /// The cursor as printed: base64url without padding.
    package func encoded() -> String {
        let payload = [
            Self.version,
            self.filter.status.rawValue,
            Self.digest(self.filter.fingerprint),
            self.after.isCompleted ? "1" : "0",
            self.after.dueDate?.description ?? "",
            String(self.after.createdAt),
            self.after.id.rawValue,
        ].joined(separator: "|")
        let sealed = payload + "|" + Self.digest(payload)
        // base64url: the URL-safe alphabet, without padding.
        let base64 = Data(sealed.utf8).base64EncodedString().utf8.compactMap { byte -> UInt8? in
            switch byte {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            case UInt8(ascii: "="): nil
            default: byte
            }
        }
        return String(decoding: base64, as: UTF8.self)
    }

    /// Reads a cursor that ``encoded()`` made for `filter`.
    package init(decoding string: String, for filter: TodoFilter) throws(TodoError) {
        guard string.utf8.count <= 512 else { throw .invalidCursor }
        var base64 = string.utf8.map { byte in
            switch byte {
            case UInt8(ascii: "-"): UInt8(ascii: "+")
            case UInt8(ascii: "_"): UInt8(ascii: "/")
            default: byte
            }
        }
        base64 += repeatElement(UInt8(ascii: "="), count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: Data(base64)), let text = String(data: data, encoding: .utf8) else {
            throw .invalidCursor
        }
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 8, parts[0] == Self.version,
            Self.digest(parts[0..<7].joined(separator: "|")) == parts[7],
            parts[1] == filter.status.rawValue, parts[2] == Self.digest(filter.fingerprint),
            parts[3] == "0" || parts[3] == "1",
            let createdAt = Int64(parts[5]), let id = TodoID(parts[6])
        else { throw .invalidCursor }
        let dueDate: CalendarDate?
        if parts[4].isEmpty {
            dueDate = nil
        } else if let date = CalendarDate(parts[4]) {
            dueDate = date
        } else {
            throw .invalidCursor
        }
        self.filter = filter
        self.after = TodoSortKey(isCompleted: parts[3] == "1", dueDate: dueDate, createdAt: createdAt, id: id)
    }

    init(filter: TodoFilter, after: TodoSortKey) {
        self.filter = filter
        self.after = after
    }

    /// The first 8 bytes of SHA-256, in hex.
    private static func digest(_ text: String) -> String {
        var hex: [UInt8] = []
        hex.reserveCapacity(16)
        for byte in SHA256.hash(data: Array(text.utf8)).prefix(8) {
            hex.append(Self.hexDigits[Int(byte >> 4)])
            hex.append(Self.hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
