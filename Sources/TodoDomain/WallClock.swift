public import Foundation

/// The source of the current time, injected so that tests control it instead of sleeping.
///
/// ```swift
/// let clock = WallClock.fixed(Date(timeIntervalSince1970: 1_800_000_000))
/// ```
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that reads `now` each time it is asked.
    public init(_ now: @escaping @Sendable () -> Date) { self.read = now }

    /// The current time, rounded to whole milliseconds: the precision at which times are stored,
    /// so a value survives a round trip through storage unchanged.
    public func now() -> Date { Date(millisecondsSince1970: self.read().millisecondsSince1970) }

    /// The system's clock.
    public static let system = WallClock { Date() }

    /// A clock that always answers `date`.
    public static func fixed(_ date: Date) -> WallClock { WallClock { date } }
}

extension Date {
    /// Whole milliseconds since 1970, rounded to the nearest (so that a date made from milliseconds
    /// gives them back exactly, despite floating point).
    package var millisecondsSince1970: Int64 { Int64((self.timeIntervalSince1970 * 1000).rounded()) }

    /// The date `milliseconds` after 1970.
    package init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
