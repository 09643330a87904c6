public import Foundation
public import MCPCore
public import TodoDomain

/// The person's todos as MCP resources: each todo at `todo://todos/{id}`, and three views that
/// stay current, `todo://views/open`, `todo://views/today` and `todo://views/overdue`. Each reads
/// as JSON and as Markdown. With a change feed, subscriptions hear of every write.
///
/// A todo of another person reads exactly like a missing one.
///
/// ```swift
/// let feed = TodoChangeFeed()
/// let service = TodoService(repository: repository, changes: feed)
/// let endpoint = MCPEndpoint(…, tools: TodoTools.all(service: service),
///                            resources: TodoResources(service: service, feed: feed), …)
/// ```
public struct TodoResources: ResourceProvider {
    private let service: TodoService
    private let feed: TodoChangeFeed?

    /// The resources of `service`'s todos, live when `feed` is the service's change feed.
    public init(service: TodoService, feed: TodoChangeFeed? = nil) {
        self.service = service
        self.feed = feed
    }

    /// The URI of the todo with `id`.
    public static func uri(of id: TodoID) -> String { "todo://todos/" + id.rawValue }

    static let todoPrefix = "todo://todos/"

    /// The views: todos chosen by a rule, as fixed resources.
    enum View: String, CaseIterable {
        case open, today, overdue

        var uri: String { "todo://views/" + self.rawValue }

        var title: String {
            switch self {
            case .open: "Open todos"
            case .today: "Due today"
            case .overdue: "Overdue"
            }
        }

        var description: String {
            switch self {
            case .open: "Every open todo, earliest due first (at most \(TodoResources.viewLimit))."
            case .today: "Open todos due today, in the time zone saved with set_time_zone (else UTC)."
            case .overdue: "Open todos due before today."
            }
        }

        var request: TodoListRequest {
            switch self {
            case .open: TodoListRequest(status: .open, limit: TodoResources.viewLimit)
            case .today: TodoListRequest(status: .open, today: true, limit: TodoResources.viewLimit)
            case .overdue: TodoListRequest(overdue: true, limit: TodoResources.viewLimit)
            }
        }
    }

    /// The most todos a view reads.
    static let viewLimit = TodoRules.maxLimit
    /// Todos per page of `resources/list`.
    static let pageSize = 50
    private static let cursorPrefix = "todos:"

    public var requiredScopes: [String] { [TodoTools.readScope] }

    public var templates: [ResourceTemplate] {
        [
            ResourceTemplate(
                uriTemplate: "todo://todos/{id}",
                name: "todo",
                title: "A todo",
                description: "One todo by its id (as list_todos returns it), as JSON and as Markdown.",
                mimeType: "application/json"
            )
        ]
    }

    public func list(cursor: String?, principal: Principal) async throws -> ResourcePage {
        let owner = UserID(principal.subject)
        var resources: [Resource] = []
        var listingCursor: String?
        if let cursor {
            guard cursor.hasPrefix(Self.cursorPrefix) else {
                throw ResourceError("Invalid cursor: pass the nextCursor of the previous page unchanged, or none for the first page.")
            }
            listingCursor = String(cursor.dropFirst(Self.cursorPrefix.count))
        } else {
            resources = View.allCases.map { view in
                Resource(uri: view.uri, name: view.rawValue, title: view.title, description: view.description, mimeType: "application/json")
            }
        }
        let page: TodoPage
        do {
            page = try await self.service.list(TodoListRequest(status: .open, limit: Self.pageSize, cursor: listingCursor), owner: owner)
        } catch TodoError.invalidCursor {
            throw ResourceError("Invalid cursor: pass the nextCursor of the previous page unchanged, or none for the first page.")
        }
        resources += page.todos.map(Self.resource(of:))
        return ResourcePage(resources: resources, nextCursor: page.nextCursor.map { Self.cursorPrefix + $0 })
    }

    public func read(uri: String, principal: Principal) async throws -> [ResourceContents]? {
        let owner = UserID(principal.subject)
        if uri.hasPrefix(Self.todoPrefix) {
            let id = String(uri.dropFirst(Self.todoPrefix.count))
            let todo: Todo
            do {
                todo = try await self.service.get(id, owner: owner)
            } catch TodoError.notFound {
                return nil
            }
            let today = try await self.service.today(owner: owner)
            return [
                ResourceContents(uri: uri, mimeType: "application/json", text: TodoTools.json(todo).jsonString),
                ResourceContents(uri: uri, mimeType: "text/markdown", text: TodoMarkdown.todo(todo, today: today)),
            ]
        }
        guard let view = View.allCases.first(where: { $0.uri == uri }) else { return nil }
        let page = try await self.service.list(view.request, owner: owner)
        let today = try await self.service.today(owner: owner)
        let json: JSONValue = [
            "view": .string(view.rawValue),
            "today": .string(today.description),
            "todos": .array(page.todos.map(TodoTools.json)),
            "more": .bool(page.nextCursor != nil),
        ]
        return [
            ResourceContents(uri: uri, mimeType: "application/json", text: json.jsonString),
            ResourceContents(
                uri: uri,
                mimeType: "text/markdown",
                text: TodoMarkdown.list(title: view.title, todos: page.todos, today: today, more: page.nextCursor != nil)
            ),
        ]
    }

    public var notifiesChanges: Bool { self.feed != nil }

    public func isSubscribable(uri: String) -> Bool {
        if View.allCases.contains(where: { $0.uri == uri }) { return true }
        return uri.hasPrefix(Self.todoPrefix) && TodoID(String(uri.dropFirst(Self.todoPrefix.count))) != nil
    }

    public func changes(for subject: String) -> ResourceChangeStream? {
        guard let feed = self.feed else { return nil }
        let subscription = feed.subscribe(owner: UserID(subject))
        return ResourceChangeStream(
            next: {
                switch await subscription.next() {
                case .changed(let change)?: Self.resourceChange(change)
                case .missed?: .missed
                case nil: nil
                }
            },
            end: { subscription.cancel() }
        )
    }

    /// What a write means for subscribers: the todo's own resource, the views it was or is in,
    /// and the list (which shows every open todo with its title).
    static func resourceChange(_ change: TodoChange) -> ResourceChange {
        let open = [change.before, change.after].compactMap { $0 }.filter { !$0.isCompleted }
        var uris = [Self.uri(of: change.id)]
        if !open.isEmpty { uris.append(View.open.uri) }
        if open.contains(where: { $0.dueDate != nil }) { uris += [View.today.uri, View.overdue.uri] }
        return .changed(uris: uris, listChanged: !open.isEmpty)
    }

    /// A todo as a resource: in `resources/list`, and as the `resource_link` tools return.
    static func resource(of todo: Todo) -> Resource {
        var details: [String] = [todo.isCompleted ? "completed" : "open"]
        if let due = todo.dueDate { details.append("due \(due)") }
        details.append("\(todo.priority.rawValue) priority")
        if !todo.tags.isEmpty { details.append(todo.tags.map { "#" + $0 }.joined(separator: " ")) }
        return Resource(
            uri: Self.uri(of: todo.id),
            name: todo.id.rawValue,
            title: todo.title,
            description: details.joined(separator: ", "),
            mimeType: "application/json",
            lastModified: todo.updatedAt
        )
    }

    /// A `resource_link` content block to `todo`.
    static func link(to todo: Todo) -> JSONValue { Self.resource(of: todo).link }
}

/// Todos written as Markdown, for resources and prompts.
enum TodoMarkdown {
    static func todo(_ todo: Todo, today: CalendarDate) -> String {
        var lines = ["# \(self.line(todo.title))", ""]
        lines.append("- Status: " + (todo.completedAt.map { "completed \(Timestamp.iso8601(millisecondsSince1970: $0.millisecondsSince1970))" } ?? "open"))
        if let due = todo.dueDate { lines.append("- Due: \(due)\(self.dueNote(due, todo: todo, today: today))") }
        lines.append("- Priority: \(todo.priority.rawValue)")
        if !todo.tags.isEmpty { lines.append("- Tags: " + todo.tags.joined(separator: ", ")) }
        lines.append("- Id: \(todo.id.rawValue)")
        if let notes = todo.notes { lines += ["", notes] }
        return lines.joined(separator: "\n") + "\n"
    }

    static func list(title: String, todos: [Todo], today: CalendarDate, more: Bool) -> String {
        var lines = ["# \(title) (\(todos.count)\(more ? "+" : ""))", ""]
        if todos.isEmpty { lines.append("Nothing here.") }
        lines += todos.map { self.item($0, today: today) }
        if more { lines += ["", "More todos exist; use list_todos to page through them."] }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One todo as a checklist line: title, due date, priority, tags, id.
    static func item(_ todo: Todo, today: CalendarDate) -> String {
        var details: [String] = []
        if let due = todo.dueDate { details.append("due \(due)\(self.dueNote(due, todo: todo, today: today))") }
        if todo.priority != .normal { details.append("\(todo.priority.rawValue) priority") }
        details += todo.tags.map { "#" + $0 }
        details.append(todo.id.rawValue)
        return "- [\(todo.isCompleted ? "x" : " ")] \(self.line(todo.title)) — " + details.joined(separator: ", ")
    }

    private static func dueNote(_ due: CalendarDate, todo: Todo, today: CalendarDate) -> String {
        guard !todo.isCompleted else { return "" }
        return due < today ? " (overdue)" : due == today ? " (today)" : ""
    }

    /// A title on one line (titles hold no control characters, but notes may be multi-line).
    private static func line(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: " ") }
}
