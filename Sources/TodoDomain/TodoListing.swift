public import Foundation

/// Which todos a listing returns by completion.
public enum TodoStatusFilter: String, Hashable, Sendable, Codable, CaseIterable {
    /// Todos not yet completed. The default.
    case open
    /// Completed todos.
    case completed
    /// Every todo.
    case all
}

/// The validated filter of a listing: status, text query, priority, tag and a range of due dates.
public struct TodoFilter: Hashable, Sendable {
    /// Which todos by completion.
    public var status: TodoStatusFilter
    /// Text that the title or notes must contain, ignoring the case of ASCII letters; `nil` for none.
    public var query: String?
    /// The priority a todo must have; `nil` for any.
    public var priority: TodoPriority?
    /// A tag the todo must carry, normalized as ``TodoRules/tag(_:field:)`` does; `nil` for any.
    public var tag: String?
    /// The first due day included; a todo without a due date never passes a due range.
    public var dueOnOrAfter: CalendarDate?
    /// The first due day no longer included.
    public var dueBefore: CalendarDate?
    /// Only todos without a due date.
    public var undated: Bool
    /// Only todos completed at or after this time (so only completed todos).
    public var completedSince: Date?

    /// A filter of already validated values; each `nil` matches every todo.
    public init(
        status: TodoStatusFilter = .open,
        query: String? = nil,
        priority: TodoPriority? = nil,
        tag: String? = nil,
        dueOnOrAfter: CalendarDate? = nil,
        dueBefore: CalendarDate? = nil,
        undated: Bool = false,
        completedSince: Date? = nil
    ) {
        self.status = status
        self.query = query
        self.priority = priority
        self.tag = tag
        self.dueOnOrAfter = dueOnOrAfter
        self.dueBefore = dueBefore
        self.undated = undated
        self.completedSince = completedSince
    }

    /// Whether the filter limits due dates (and so leaves out undated todos).
    public var hasDueRange: Bool { self.dueOnOrAfter != nil || self.dueBefore != nil }

    /// Every field in one line, for binding a cursor to the filter it was issued for.
    var fingerprint: String {
        [
            self.status.rawValue, self.query ?? "", self.priority?.rawValue ?? "", self.tag ?? "",
            self.dueOnOrAfter?.description ?? "", self.dueBefore?.description ?? "", self.undated ? "undated" : "",
            self.completedSince.map { String($0.millisecondsSince1970) } ?? "",
        ].map { "\($0.utf8.count):\($0)" }.joined()
    }

    /// Whether `todo` passes this filter. Storage implementations must agree with it.
    public func matches(_ todo: Todo) -> Bool {
        switch self.status {
        case .open: if todo.isCompleted { return false }
        case .completed: if !todo.isCompleted { return false }
        case .all: break
        }
        if let priority, todo.priority != priority { return false }
        if let tag, !todo.tags.contains(tag) { return false }
        if self.undated && todo.dueDate != nil { return false }
        if let since = self.completedSince, (todo.completedAt ?? .distantPast) < since { return false }
        if self.hasDueRange {
            guard let due = todo.dueDate else { return false }
            if let first = self.dueOnOrAfter, due < first { return false }
            if let end = self.dueBefore, due >= end { return false }
        }
        guard let query else { return true }
        let needle = query.asciiLowercased()
        return todo.title.asciiLowercased().contains(needle) || (todo.notes?.asciiLowercased().contains(needle) ?? false)
    }
}

/// A todo's place in every listing: open before completed, then by due date (undated last), then by
/// creation, then by id so that the order is total and stable across pages.
public struct TodoSortKey: Hashable, Sendable, Comparable {
    /// Whether the todo is completed: open todos sort first.
    public var isCompleted: Bool
    /// The due date; undated todos sort after dated ones.
    public var dueDate: CalendarDate?
    /// Creation time in milliseconds since 1970.
    public var createdAt: Int64
    /// The todo's id, the last tie-breaker.
    public var id: TodoID

    /// A key from its parts, as a cursor carries them.
    public init(isCompleted: Bool, dueDate: CalendarDate?, createdAt: Int64, id: TodoID) {
        self.isCompleted = isCompleted
        self.dueDate = dueDate
        self.createdAt = createdAt
        self.id = id
    }

    /// The key of `todo`.
    public init(_ todo: Todo) {
        self.init(
            isCompleted: todo.isCompleted,
            dueDate: todo.dueDate,
            createdAt: todo.createdAt.millisecondsSince1970,
            id: todo.id
        )
    }

    public static func < (lhs: TodoSortKey, rhs: TodoSortKey) -> Bool {
        if lhs.isCompleted != rhs.isCompleted { return !lhs.isCompleted }
        switch (lhs.dueDate, rhs.dueDate) {
        case (let left?, let right?) where left != right: return left < right
        case (.some, nil): return true
        case (nil, .some): return false
        default: break
        }
        if lhs.createdAt != rhs.createdAt { return lhs.createdAt < rhs.createdAt }
        return lhs.id.rawValue < rhs.id.rawValue
    }
}

/// What a caller asks of a listing, as it arrives: every field optional and not yet validated.
public struct TodoListRequest: Hashable, Sendable {
    /// Which todos by completion; open ones unless asked otherwise.
    public var status: TodoStatusFilter
    /// Text that the title or notes must contain; it is trimmed, blank means none, and it may have at most
    /// ``TodoRules/maxQueryLength`` characters.
    public var query: String?
    /// Only todos of this priority (`low`, `normal` or `high`); `nil` for any.
    public var priority: String?
    /// Only todos carrying this tag; `nil` for any.
    public var tag: String?
    /// Only todos due after this day (`YYYY-MM-DD`, the day itself excluded).
    public var dueAfter: String?
    /// Only todos due before this day (`YYYY-MM-DD`, the day itself excluded).
    public var dueBefore: String?
    /// Only open todos due before today: today as ``timeZone`` (or the owner's saved time zone,
    /// else UTC) has it.
    public var overdue: Bool
    /// Only todos due today.
    public var today: Bool
    /// The IANA time zone that decides which day is today, such as `Europe/Berlin`; `nil` uses the
    /// owner's saved time zone, else UTC.
    public var timeZone: String?
    /// The page size; `nil` means ``TodoRules/defaultLimit``, and more than ``TodoRules/maxLimit`` is refused.
    public var limit: Int?
    /// The ``TodoPage/nextCursor`` of the previous page, to continue from there; `nil` for the first page.
    /// It must come from a listing with the same filters.
    public var cursor: String?

    /// Only todos without a due date.
    public var undated: Bool
    /// Only todos completed at or after this time.
    public var completedSince: Date?
    /// Whether the status was given, rather than left at its default (`overdue` needs open todos).
    public var statusGiven: Bool

    /// A request as it arrives; ``TodoService/list(_:owner:)`` validates it.
    public init(
        status: TodoStatusFilter? = nil,
        query: String? = nil,
        priority: String? = nil,
        tag: String? = nil,
        dueAfter: String? = nil,
        dueBefore: String? = nil,
        overdue: Bool = false,
        today: Bool = false,
        timeZone: String? = nil,
        undated: Bool = false,
        completedSince: Date? = nil,
        limit: Int? = nil,
        cursor: String? = nil
    ) {
        self.status = status ?? .open
        self.statusGiven = status != nil
        self.query = query
        self.priority = priority
        self.tag = tag
        self.dueAfter = dueAfter
        self.dueBefore = dueBefore
        self.overdue = overdue
        self.today = today
        self.timeZone = timeZone
        self.undated = undated
        self.completedSince = completedSince
        self.limit = limit
        self.cursor = cursor
    }
}

/// One page of a listing.
public struct TodoPage: Hashable, Sendable {
    /// The todos of this page, in listing order.
    public var todos: [Todo]
    /// The cursor of the next page, or `nil` when this page is the last.
    public var nextCursor: String?

    /// A page of `todos`, and the cursor of the next one if there are more.
    public init(todos: [Todo], nextCursor: String?) {
        self.todos = todos
        self.nextCursor = nextCursor
    }
}

extension String {
    /// The string with ASCII letters lowercased and everything else unchanged: the case folding of
    /// SQLite's `LIKE`, so that every repository filters alike.
    func asciiLowercased() -> String {
        String(
            decoding: self.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 },
            as: UTF8.self
        )
    }
}
