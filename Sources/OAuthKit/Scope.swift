/// An OAuth scope the server grants.
public struct Scope: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public init(stringLiteral value: String) { self.rawValue = value }

    /// Parses a space-separated scope string (RFC 6749 §3.3), keeping only the scopes in `known` and
    /// ignoring the rest, in `known`'s order without duplicates.
    public static func parse(_ string: String, known: [Scope]) -> [Scope] {
        let requested = Set(string.split(separator: " ").map { Scope(rawValue: String($0)) })
        return known.filter(requested.contains)
    }

    public var description: String { self.rawValue }

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A scope the server offers, with the words the consent page uses for it.
///
/// ```swift
/// ScopeDefinition("notes:read", explanation: "Read your notes")
/// ```
public struct ScopeDefinition: Hashable, Sendable {
    /// The scope.
    public var scope: Scope
    /// What granting it allows, in words for the person asked to consent.
    public var explanation: String

    /// A scope with its explanation.
    public init(_ scope: Scope, explanation: String) {
        self.scope = scope
        self.explanation = explanation
    }
}
