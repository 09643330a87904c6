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

    /// A due date written `YYYY-MM-DD`, a day that exists.
    public static func dueDate(_ raw: String?) throws(TodoError) -> CalendarDate? {
        guard let raw else { return nil }
        guard let date = CalendarDate(raw.trimmingWhitespace()) else {
            throw .invalid(
                field: "dueDate",
                message: "dueDate must be a calendar date written YYYY-MM-DD, such as 2026-03-31; '\(raw.prefix(40))' is not."
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

    /// A text query: trimmed, at most 200 characters; blank means no query.
    public static func query(_ raw: String?) throws(TodoError) -> String? {
        if let raw, raw.utf8.count > maxQueryBytes {
            throw .invalid(field: "query", message: "query must be at most \(maxQueryBytes) bytes of UTF-8; it has \(raw.utf8.count).")
        }
        guard let query = raw?.trimmingWhitespace(), !query.isEmpty else { return nil }
        guard query.count <= maxQueryLength else {
            throw .invalid(field: "query", message: "query must be at most \(maxQueryLength) characters; it has \(query.count).")
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
