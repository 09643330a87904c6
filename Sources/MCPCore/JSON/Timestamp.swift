public import Foundation

/// Times as JSON carries them: ISO 8601 in UTC with milliseconds, such as `2026-11-27T10:39:47.361Z`.
///
/// Written by hand rather than with Foundation's formatter: computed directly from the milliseconds
/// (days to civil date, after Howard Hinnant's algorithm), it is exact to the stored millisecond
/// (the formatter, working on a `Double`, can print one less) and cheap, where a formatter per call
/// was among the largest costs of a page of todos, which prints 60 of these.
public enum Timestamp {
    /// `date` as ISO 8601 in UTC, to the nearest millisecond.
    public static func iso8601(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds.isFinite else { return Self.iso8601(millisecondsSince1970: milliseconds.isNaN ? 0 : (milliseconds > 0 ? .max : .min)) }
        return Self.iso8601(millisecondsSince1970: Int64(exactly: milliseconds) ?? (milliseconds > 0 ? .max : .min))
    }

    /// The time `milliseconds` after 1970 as ISO 8601 in UTC, such as `2026-11-27T10:39:47.361Z`.
    public static func iso8601(millisecondsSince1970 given: Int64) -> String {
        // Far beyond any real date, but the arithmetic below never overflows.
        let milliseconds = min(max(given, .min / 2), .max / 2)
        let days = Int((milliseconds >= 0 ? milliseconds : milliseconds - 86_399_999) / 86_400_000)
        let inDay = Int(milliseconds - Int64(days) * 86_400_000)
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // The usual case, four-digit years: 24 bytes written in place, no array, no closure context.
        if (0...9999).contains(year) {
            return String(unsafeUninitializedCapacity: 24) { text in
                digits(year, width: 4, at: 0, then: "-", in: text)
                digits(month, width: 2, at: 5, then: "-", in: text)
                digits(day, width: 2, at: 8, then: "T", in: text)
                digits(inDay / 3_600_000, width: 2, at: 11, then: ":", in: text)
                digits(inDay / 60_000 % 60, width: 2, at: 14, then: ":", in: text)
                digits(inDay / 1000 % 60, width: 2, at: 17, then: ".", in: text)
                digits(inDay % 1000, width: 3, at: 20, then: "Z", in: text)
                return 24
            }
        }
        var text: [UInt8] = []
        text.reserveCapacity(24)
        /// Appends `value` with at least `width` digits, then `separator`.
        func append(_ value: Int, width: Int, then separator: Unicode.Scalar) {
            var divisor = 1
            var places = 1
            while places < width || divisor * 10 <= value {
                divisor *= 10
                places += 1
            }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
            text.append(UInt8(ascii: separator))
        }
        if year < 0 { text.append(UInt8(ascii: "-")) }
        append(abs(year), width: 4, then: "-")
        append(month, width: 2, then: "-")
        append(day, width: 2, then: "T")
        append(inDay / 3_600_000, width: 2, then: ":")
        append(inDay / 60_000 % 60, width: 2, then: ":")
        append(inDay / 1000 % 60, width: 2, then: ".")
        append(inDay % 1000, width: 3, then: "Z")
        return String(decoding: text, as: UTF8.self)
    }

    /// Writes `value` as exactly `width` digits at `offset`, then `separator`.
    private static func digits(
        _ value: Int,
        width: Int,
        at offset: Int,
        then separator: Unicode.Scalar,
        in text: UnsafeMutableBufferPointer<UInt8>
    ) {
        var rest = value
        for index in (offset..<(offset + width)).reversed() {
            text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        text[offset + width] = UInt8(ascii: separator)
    }
}
