import Foundation

/// `application/x-www-form-urlencoded` and query strings.
package enum FormData {
    /// The fields of `text`; a repeated field keeps its first value, which makes duplicates harmless to
    /// compare against (RFC 6749 §3.1 forbids repeating parameters; ``duplicates(in:)`` finds them).
    package static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in self.pairs(text) where fields[name] == nil { fields[name] = value }
        return fields
    }

    /// The names that appear more than once.
    package static func duplicates(in text: String) -> Set<String> {
        var seen: Set<String> = []
        var repeated: Set<String> = []
        for (name, _) in self.pairs(text) where !seen.insert(name).inserted { repeated.insert(name) }
        return repeated
    }

    private static func pairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (self.decode(parts[0]), parts.count > 1 ? self.decode(parts[1]) : "")
        }
    }

    private static func decode(_ text: Substring) -> String {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
    }

    /// `fields` as a query string, in the order given.
    package static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }
}
