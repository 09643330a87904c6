/// HTML escaping on UTF-8 bytes, for every value that reaches a page.
///
/// Written by hand because the template library escapes whole characters (grapheme clusters): a
/// `"` or `<` fused with a combining mark (U+0301) or after a prepended format character (U+0600)
/// forms one character that is not `"` or `<`, so it passes unescaped. Working on bytes, every one
/// of `& < > " '` is replaced wherever it stands, whatever surrounds it.
public enum HTMLEscaping {
    /// `text` safe for HTML text and for quoted attribute values.
    public static func escape(_ text: String) -> String {
        let bytes = text.utf8
        guard bytes.contains(where: { Self.replacement($0) != nil }) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        for byte in bytes {
            if let replacement = Self.replacement(byte) {
                output.append(contentsOf: UnsafeBufferPointer(start: replacement.utf8Start, count: replacement.utf8CodeUnitCount))
            } else {
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func replacement(_ byte: UInt8) -> StaticString? {
        switch byte {
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&#39;"
        default: nil
        }
    }
}

/// A value for a page template: text is escaped by ``MustachePageRenderer`` before the template sees it.
public enum PageValue: Sendable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral {
    /// Text, escaped before the template sees it.
    case text(String)
    /// A flag for a section.
    case flag(Bool)
    /// A list for a repeated section.
    case list([PageValue])
    /// Named values, for a section over an object.
    case object([String: PageValue])

    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }

    /// Text, or `false` (an empty section) when there is none.
    public static func optional(_ text: String?) -> PageValue { text.map(PageValue.text) ?? .flag(false) }

    /// The value as the template library takes it, with every text escaped.
    var escaped: Any {
        switch self {
        case .text(let text): HTMLEscaping.escape(text)
        case .flag(let flag): flag
        case .list(let values): values.map(\.escaped)
        case .object(let members): members.mapValues(\.escaped)
        }
    }
}
