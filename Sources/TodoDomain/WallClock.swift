package import Foundation

/// The injected `now` (a `@Sendable () -> Date`, the one way time comes into every layer), read at
/// the precision at which times are stored.
package struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that reads `now` each time it is asked.
    package init(_ now: @escaping @Sendable () -> Date) { self.read = now }

    /// The current time, rounded to whole milliseconds: the precision at which times are stored,
    /// so a value survives a round trip through storage unchanged.
    package func now() -> Date { Date(millisecondsSince1970: self.read().millisecondsSince1970) }

    /// The system's clock.
    package static let system = WallClock { Date() }

    /// A clock that always answers `date`.
    package static func fixed(_ date: Date) -> WallClock { WallClock { date } }
}

extension Date {
    /// Whole milliseconds since 1970, rounded to the nearest (so that a date made from milliseconds
    /// gives them back exactly, despite floating point); dates beyond what 64 bits hold give the
    /// nearest bound instead of trapping.
    package var millisecondsSince1970: Int64 {
        let milliseconds = (self.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds.isFinite else { return milliseconds.isNaN ? 0 : (milliseconds > 0 ? .max : .min) }
        return Int64(exactly: milliseconds) ?? (milliseconds > 0 ? .max : .min)
    }

    /// The date `milliseconds` after 1970.
    package init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
