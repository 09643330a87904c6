/// An MCP protocol revision, named by its date.
///
/// Revisions up to 2025-11-25 are the legacy era (`initialize`, sessions); 2026-07-28 is the
/// stateless era, where every request carries its version in `_meta`.
public struct ProtocolVersion: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The stateless revision.
    public static let v2026_07_28 = ProtocolVersion(rawValue: "2026-07-28")
    /// The newest legacy revision.
    public static let v2025_11_25 = ProtocolVersion(rawValue: "2025-11-25")
    /// A legacy revision, the first without JSON-RPC batches.
    public static let v2025_06_18 = ProtocolVersion(rawValue: "2025-06-18")
    /// The oldest revision this server speaks, and the only one whose sessions accept JSON-RPC batches.
    public static let v2025_03_26 = ProtocolVersion(rawValue: "2025-03-26")

    /// Every revision this server speaks, newest first.
    public static let supported: [ProtocolVersion] = [.v2026_07_28, .v2025_11_25, .v2025_06_18, .v2025_03_26]

    /// Whether the revision is one of the legacy, session-based ones.
    public var isLegacy: Bool { self < .v2026_07_28 }

    public var description: String { self.rawValue }

    // Revisions are ISO dates, so their text sorts in time order.
    public static func < (lhs: ProtocolVersion, rhs: ProtocolVersion) -> Bool { lhs.rawValue < rhs.rawValue }
}
