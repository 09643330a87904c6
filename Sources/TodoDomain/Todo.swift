public import Foundation

/// A thing a user wants to get done.
///
/// Values of this type are always valid: they are made by ``TodoService``, which checks every field
/// against the rules in ``TodoRules``, or read back from storage that only ever received valid values.
public struct Todo: Hashable, Sendable, Codable {
    /// The todo's identifier, random and opaque.
    public var id: TodoID
    /// The user who owns the todo; nobody else can see or change it.
    public var owner: UserID
    /// A short title: trimmed, 1–200 characters, no control characters.
    public var title: String
    /// Longer free text, up to 5,000 characters; `nil` when there is none.
    public var notes: String?
    /// The calendar day the todo is due, if any.
    public var dueDate: CalendarDate?
    /// How important the todo is.
    public var priority: TodoPriority
    /// Labels to group todos by: each lowercased, 1–40 characters, at most 20, no repeats (see
    /// ``TodoRules/tags(_:)``), in the order they were given.
    public var tags: [String]
    /// When the todo was completed; `nil` while it is open.
    public var completedAt: Date?
    /// When the todo was created.
    public var createdAt: Date
    /// When the todo was last changed.
    public var updatedAt: Date

    /// Whether the todo is done.
    public var isCompleted: Bool { self.completedAt != nil }

    /// Creates a todo from fields that are already valid; storage uses it to read rows back.
    public init(
        id: TodoID,
        owner: UserID,
        title: String,
        notes: String? = nil,
        dueDate: CalendarDate? = nil,
        priority: TodoPriority = .normal,
        tags: [String] = [],
        completedAt: Date? = nil,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.owner = owner
        self.title = title
        self.notes = notes
        self.dueDate = dueDate
        self.priority = priority
        self.tags = tags
        self.completedAt = completedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// How important a todo is. Defaults to ``normal``.
public enum TodoPriority: String, Hashable, Sendable, Codable, CaseIterable {
    /// Can wait.
    case low
    /// The usual importance, and the default.
    case normal
    /// Comes first.
    case high
}

/// A day in the Gregorian calendar, without a time or time zone, written `YYYY-MM-DD`.
public struct CalendarDate: Hashable, Sendable, Comparable, Codable, LosslessStringConvertible {
    /// The year, 1–9999.
    public let year: Int
    /// The month, 1–12.
    public let month: Int
    /// The day of the month, 1–31 depending on the month.
    public let day: Int

    /// Creates a date; returns `nil` when the day does not exist (for example `2025-02-29`).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`; returns `nil` for any other form or a day that does not exist.
    public init?(_ description: String) {
        let utf8 = Array(description.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in utf8[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(self.year, 4))-\(pad(self.month, 2))-\(pad(self.day, 2))"
    }

    /// The last day there is, 9999-12-31.
    public static let last = CalendarDate(year: 9999, month: 12, day: 31)!

    /// The day after this one (9999-12-31 has none and stays itself).
    public var next: CalendarDate {
        if let date = CalendarDate(year: self.year, month: self.month, day: self.day + 1) { return date }
        if let date = CalendarDate(year: self.year, month: self.month + 1, day: 1) { return date }
        return CalendarDate(year: self.year + 1, month: 1, day: 1) ?? self
    }

    /// The day before this one; `nil` for 0001-01-01.
    public var previous: CalendarDate? {
        if let date = CalendarDate(year: self.year, month: self.month, day: self.day - 1) { return date }
        if self.month > 1 {
            return CalendarDate(year: self.year, month: self.month - 1, day: CalendarDate.daysIn(month: self.month - 1, year: self.year))
        }
        return CalendarDate(year: self.year - 1, month: 12, day: 31)
    }

    /// The day `date` falls on in `timeZone`.
    public init(_ date: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        self.year = min(max(parts.year ?? 1970, 1), 9999)
        self.month = parts.month ?? 1
        self.day = parts.day ?? 1
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let date = CalendarDate(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not a YYYY-MM-DD date: \(string)")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
