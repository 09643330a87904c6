/// An OAuth scope this server grants.
public struct Scope: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Read the user's todos.
    public static let todosRead = Scope(rawValue: "todos:read")
    /// Create, change, complete and delete the user's todos.
    public static let todosWrite = Scope(rawValue: "todos:write")

    /// Every scope, in the order metadata lists them.
    public static let all: [Scope] = [.todosRead, .todosWrite]

    /// Parses a space-separated scope string (RFC 6749 §3.3), keeping only the scopes in `known` and
    /// ignoring the rest, in `known`'s order without duplicates.
    public static func parse(_ string: String, known: [Scope] = Scope.all) -> [Scope] {
        let requested = Set(string.split(separator: " ").map { Scope(rawValue: String($0)) })
        return known.filter(requested.contains)
    }

    public var description: String { self.rawValue }

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }
}
