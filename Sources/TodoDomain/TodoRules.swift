public import Foundation

/// The rules every todo field obeys. The service checks its input with these before storing anything.
public enum TodoRules {
    /// The longest title, in characters.
    public static let maxTitleLength = 200
    /// The longest title in UTF-8 bytes: one character can hold any number of combining marks, so
    /// a limit in characters alone bounds nothing.
    public static let maxTitleBytes = 2_000
    /// The longest notes, in characters.
    public static let maxNotesLength = 5_000
    /// The longest notes in UTF-8 bytes.
    public static let maxNotesBytes = 40_000
    /// The longest text query, in characters.
    public static let maxQueryLength = 200
    /// The longest text query in UTF-8 bytes.
    public static let maxQueryBytes = 2_000
    /// The most todos one owner may keep, unless the service is configured otherwise.
    public static let defaultMaxTodosPerOwner = 10_000
    /// The page size when none is asked for.
    public static let defaultLimit = 50
    /// The largest page size.
    public static let maxLimit = 200
    /// The most tags one todo may carry.
    public static let maxTags = 20
    /// The longest tag, in characters.
    public static let maxTagLength = 40
    /// The longest tag in UTF-8 bytes.
    public static let maxTagBytes = 400
    /// The most todos one bulk operation may name.
    public static let maxBulkIDs = 100

    /// A title: trimmed of surrounding white space, then 1–200 characters with no control characters.
    public static func title(_ raw: String) throws(TodoError) -> String {
        let title = raw.trimmingWhitespace()
        guard !title.isEmpty else {
            throw .invalid(field: "title", message: "title is required and must not be blank.")
        }
        guard title.utf8.count <= maxTitleBytes else {
            throw .invalid(
                field: "title",
                message: "title must be at most \(maxTitleBytes) bytes of UTF-8; it has \(title.utf8.count) (accents and marks count too)."
            )
        }
        guard title.count <= maxTitleLength else {
            throw .invalid(
                field: "title",
                message: "title must be at most \(maxTitleLength) characters; it has \(title.count)."
            )
        }
        guard !title.unicodeScalars.contains(where: \.isControl) else {
            throw .invalid(
                field: "title",
                message: "title must not contain control characters such as line breaks or tabs; put longer text in notes."
            )
        }
        return title
    }

    /// Notes: up to 5,000 characters; line breaks and tabs are allowed, other control characters are not.
    /// Blank notes are no notes.
    public static func notes(_ raw: String?) throws(TodoError) -> String? {
        guard let raw else { return nil }
        guard raw.utf8.count <= maxNotesBytes else {
            throw .invalid(
                field: "notes",
                message: "notes must be at most \(maxNotesBytes) bytes of UTF-8; they have \(raw.utf8.count) (accents and marks count too)."
            )
        }
        guard !raw.trimmingWhitespace().isEmpty else { return nil }
        guard raw.count <= maxNotesLength else {
            throw .invalid(
                field: "notes",
                message: "notes must be at most \(maxNotesLength) characters; they have \(raw.count)."
            )
        }
        guard !raw.unicodeScalars.contains(where: { $0.isControl && !["\n", "\r", "\t"].contains($0) }) else {
            throw .invalid(
                field: "notes",
                message: "notes must not contain control characters other than line breaks and tabs."
            )
        }
        return raw
    }

    /// A due date written `YYYY-MM-DD`, a day that exists; `field` names it in the message.
    public static func dueDate(_ raw: String?, field: String = "dueDate") throws(TodoError) -> CalendarDate? {
        guard let raw else { return nil }
        guard let date = CalendarDate(raw.trimmingWhitespace()) else {
            throw .invalid(
                field: field,
                message: "\(field) must be a calendar date written YYYY-MM-DD, such as 2026-03-31; '\(raw.prefix(40))' is not."
            )
        }
        return date
    }

    /// A priority: `low`, `normal` or `high`; `nil` means `normal`.
    public static func priority(_ raw: String?) throws(TodoError) -> TodoPriority {
        guard let raw else { return .normal }
        guard let priority = TodoPriority(rawValue: raw.trimmingWhitespace().lowercased()) else {
            throw .invalid(
                field: "priority",
                message: "priority must be one of low, normal, high; '\(raw.prefix(40))' is not."
            )
        }
        return priority
    }

    /// A page size from 1 to 200; `nil` means 50.
    public static func limit(_ raw: Int?) throws(TodoError) -> Int {
        guard let raw else { return defaultLimit }
        guard (1...maxLimit).contains(raw) else {
            throw .invalid(field: "limit", message: "limit must be between 1 and \(maxLimit); it was \(raw).")
        }
        return raw
    }

    /// Tags: each trimmed, without a leading `#`, lowercased and in Unicode canonical composition
    /// (so `Café` typed either way is one tag), 1–40 characters without control characters; at
    /// most 20, repeats dropped, order kept.
    public static func tags(_ raw: [String]?) throws(TodoError) -> [String] {
        guard let raw else { return [] }
        guard raw.count <= maxTags * 4 else {
            throw .invalid(field: "tags", message: "tags must hold at most \(maxTags) tags; it has \(raw.count).")
        }
        var tags: [String] = []
        for item in raw {
            let tag = try self.tag(item)
            if !tags.contains(tag) { tags.append(tag) }
        }
        guard tags.count <= maxTags else {
            throw .invalid(field: "tags", message: "tags must hold at most \(maxTags) different tags; it has \(tags.count).")
        }
        return tags
    }

    /// One tag, as ``tags(_:)`` normalizes it; also the form a tag filter is compared in.
    public static func tag(_ raw: String, field: String = "tags") throws(TodoError) -> String {
        guard raw.utf8.count <= maxTagBytes else {
            throw .invalid(field: field, message: "a tag must be at most \(maxTagBytes) bytes of UTF-8; '\(raw.prefix(40))…' has \(raw.utf8.count).")
        }
        var tag = raw.trimmingWhitespace()
        if tag.hasPrefix("#") { tag = String(tag.dropFirst()).trimmingWhitespace() }
        tag = tag.lowercased().precomposedStringWithCanonicalMapping
        guard !tag.isEmpty else {
            throw .invalid(field: field, message: "a tag must not be blank.")
        }
        guard tag.count <= maxTagLength else {
            throw .invalid(field: field, message: "a tag must be at most \(maxTagLength) characters; '\(tag.prefix(40))…' has \(tag.count).")
        }
        guard !tag.unicodeScalars.contains(where: \.isControl) else {
            throw .invalid(field: field, message: "a tag must not contain control characters such as line breaks or tabs.")
        }
        return tag
    }

    /// A time zone by its IANA name, such as `Europe/Berlin` or `UTC`.
    public static func timeZone(_ raw: String, field: String = "time_zone") throws(TodoError) -> TimeZone {
        let name = raw.trimmingWhitespace()
        guard name.utf8.count <= 64, !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
            let zone = TimeZone(identifier: name)
        else {
            throw .invalid(
                field: field,
                message: "\(field) must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC; '\(raw.prefix(40))' is not."
            )
        }
        return zone
    }

    /// A text query: trimmed, at most 200 characters; blank means no query.
    public static func query(_ raw: String?) throws(TodoError) -> String? {
        if let raw, raw.utf8.count > maxQueryBytes {
            throw .invalid(field: "query", message: "query must be at most \(maxQueryBytes) bytes of UTF-8; it has \(raw.utf8.count).")
        }
        guard let query = raw?.trimmingWhitespace(), !query.isEmpty else { return nil }
        guard query.count <= maxQueryLength else {
            throw .invalid(field: "query", message: "query must be at most \(maxQueryLength) characters; it has \(query.count).")
        }
        // No stored text holds one, and PostgreSQL text cannot even carry a NUL.
        guard !query.unicodeScalars.contains(where: \.isControl) else {
            throw .invalid(field: "query", message: "query must not contain control characters.")
        }
        return query
    }
}

extension Unicode.Scalar {
    /// Whether the scalar is a control character (general category Cc).
    var isControl: Bool { self.properties.generalCategory == .control }
}

extension String {
    /// The string without leading and trailing white space and line breaks.
    func trimmingWhitespace() -> String {
        let scalars = self.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
