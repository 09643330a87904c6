import Foundation
import OAuthKit
import TodoDomain

/// A person's todos on the account page: listed newest first, exported with their data, and
/// deleted with their account.
struct TodoAccountData: AccountDataProvider {
    let repository: any TodoRepository
    /// Todos per page of the account page.
    var pageSize = 25

    let exportKey = "todos"

    func section(subject: String, after cursor: String?) async throws -> AccountSection {
        let after = try cursor.map(Self.key(from:))
        // One more than shown tells whether an older page exists.
        let todos = try await self.repository.recent(owner: UserID(subject), after: after, limit: self.pageSize + 1)
        let shown = todos.prefix(self.pageSize)
        return AccountSection(
            title: "Your todos",
            items: shown.map { todo in
                var details: [String] = []
                if let due = todo.dueDate { details.append("Due \(due)") }
                if todo.priority != .normal { details.append("\(todo.priority.rawValue.capitalized) priority") }
                if let completed = todo.completedAt { details.append("Completed \(Self.day(completed))") } else { details.append("Open") }
                details.append("Added \(Self.day(todo.createdAt))")
                return AccountItem(title: todo.title, detail: details.joined(separator: " · "), isDone: todo.isCompleted)
            },
            emptyText: "You have no todos.",
            nextCursor: todos.count > self.pageSize ? shown.last.map(Self.cursor(of:)) : nil
        )
    }

    func export(subject: String) async throws -> any Encodable & Sendable {
        var all: [ExportedTodo] = []
        var after: TodoRecencyKey?
        while true {
            let page = try await self.repository.recent(owner: UserID(subject), after: after, limit: 500)
            all += page.map(ExportedTodo.init)
            guard page.count == 500, let last = page.last else { break }
            after = TodoRecencyKey(last)
        }
        return all
    }

    func deleteAll(subject: String) async throws {
        _ = try await self.repository.deleteAll(owner: UserID(subject))
    }

    /// A cursor `<milliseconds>.<todo id>`: letters, digits, `_` and `.`, as the account page requires.
    static func cursor(of todo: Todo) -> String { "\(todo.createdAt.millisecondsSince1970).\(todo.id.rawValue)" }

    static func key(from cursor: String) throws -> TodoRecencyKey {
        let parts = cursor.split(separator: ".", maxSplits: 1)
        // Times from 1970 to the year 9999 only: a bigger number would not survive the round trip
        // through a Date.
        guard parts.count == 2, let milliseconds = Int64(parts[0]), (0...253_402_300_799_999).contains(milliseconds),
            let id = TodoID(String(parts[1]))
        else {
            throw TodoError.invalidCursor
        }
        return TodoRecencyKey(createdAt: Date(millisecondsSince1970: milliseconds), id: id)
    }

    private static func day(_ date: Date) -> String { String(date.formatted(.iso8601).prefix(10)) }
}

/// A todo in "Download my data".
struct ExportedTodo: Encodable, Sendable {
    var id: String
    var title: String
    var notes: String?
    var dueDate: String?
    var priority: String
    var tags: [String]
    var completed: Bool
    var completedAt: Date?
    var createdAt: Date
    var updatedAt: Date

    init(_ todo: Todo) {
        self.id = todo.id.rawValue
        self.title = todo.title
        self.notes = todo.notes
        self.dueDate = todo.dueDate?.description
        self.priority = todo.priority.rawValue
        self.tags = todo.tags
        self.completed = todo.isCompleted
        self.completedAt = todo.completedAt
        self.createdAt = todo.createdAt
        self.updatedAt = todo.updatedAt
    }
}
