/// What a host keeps for a person besides their sign-in, such as their todos or notes: the
/// account page lists it, "Download my data" includes it, and "Delete my account" deletes it.
///
/// ```swift
/// struct NotesData: AccountDataProvider {
///     let exportKey = "notes"
///     func section(subject: String, after cursor: String?) async throws -> AccountSection { … }
///     func export(subject: String) async throws -> any Encodable & Sendable { try await notes.all(of: subject) }
///     func deleteAll(subject: String) async throws { try await notes.deleteAll(of: subject) }
/// }
/// ```
public protocol AccountDataProvider: Sendable {
    /// The key the data has in the downloaded JSON, such as `todos`.
    var exportKey: String { get }
    /// One page of the person's data for the account page, starting after `cursor` (a value of
    /// ``AccountSection/nextCursor``, or `nil` for the first page). An unusable cursor may throw.
    func section(subject: String, after cursor: String?) async throws -> AccountSection
    /// Everything kept for the person, as JSON.
    func export(subject: String) async throws -> any Encodable & Sendable
    /// Deletes everything kept for the person.
    func deleteAll(subject: String) async throws
}

/// One page of a person's data as the account page lists it. Everything is plain text; the page
/// escapes it.
public struct AccountSection: Hashable, Sendable {
    /// The heading, such as "Your todos".
    public var title: String
    /// The entries of this page.
    public var items: [AccountItem]
    /// What the page says when there are no entries at all.
    public var emptyText: String
    /// Where the next page starts, when there is one: a short token of letters, digits, `-`, `_`
    /// and `.` that comes back as `cursor`.
    public var nextCursor: String?

    /// Makes a page.
    public init(title: String, items: [AccountItem], emptyText: String, nextCursor: String? = nil) {
        self.title = title
        self.items = items
        self.emptyText = emptyText
        self.nextCursor = nextCursor
    }
}

/// One entry of an ``AccountSection``.
public struct AccountItem: Hashable, Sendable {
    /// The main line, such as a todo's title.
    public var title: String
    /// A second line, such as "Due 2026-12-24 · high priority".
    public var detail: String?
    /// Whether the entry is done (shown struck through, and said so to screen readers).
    public var isDone: Bool

    /// Makes an entry.
    public init(title: String, detail: String? = nil, isDone: Bool = false) {
        self.title = title
        self.detail = detail
        self.isDone = isDone
    }
}
