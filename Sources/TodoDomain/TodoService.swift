public import Foundation

/// The fields of a new todo as they arrive, not yet validated.
public struct NewTodo: Hashable, Sendable {
    /// The title; it is trimmed, and must then be 1–200 characters without control characters.
    public var title: String
    /// Free text; blank notes are no notes.
    public var notes: String?
    /// `YYYY-MM-DD`.
    public var dueDate: String?
    /// `low`, `normal` or `high`; `nil` means `normal`.
    public var priority: String?
    /// Tags; see ``TodoRules/tags(_:)``.
    public var tags: [String]?

    /// The fields of a new todo; only the title is required.
    public init(title: String, notes: String? = nil, dueDate: String? = nil, priority: String? = nil, tags: [String]? = nil) {
        self.title = title
        self.notes = notes
        self.dueDate = dueDate
        self.priority = priority
        self.tags = tags
    }
}

/// A change to one field: leave it, set it, or (for optional fields) clear it.
public enum FieldChange<Value: Hashable & Sendable>: Hashable, Sendable {
    /// Leave the field as it is.
    case keep
    /// Set the field to the value, which is validated first.
    case set(Value)
    /// Remove the value of an optional field.
    case clear
}

/// The changes an update asks for, not yet validated. Fields left at ``FieldChange/keep`` stay as
/// they are.
public struct TodoChanges: Hashable, Sendable {
    /// A new title; `nil` keeps the old one.
    public var title: String?
    /// What to do with the notes.
    public var notes: FieldChange<String>
    /// `YYYY-MM-DD`.
    public var dueDate: FieldChange<String>
    /// A new priority, `low`, `normal` or `high`; `nil` keeps the old one.
    public var priority: String?
    /// New tags replacing the old ones (empty removes them all); `nil` keeps them.
    public var tags: [String]?
    /// `true` completes the todo, `false` reopens it.
    public var completed: Bool?

    /// The changes to make; every field left out stays as it is.
    public init(
        title: String? = nil,
        notes: FieldChange<String> = .keep,
        dueDate: FieldChange<String> = .keep,
        priority: String? = nil,
        tags: [String]? = nil,
        completed: Bool? = nil
    ) {
        self.title = title
        self.notes = notes
        self.dueDate = dueDate
        self.priority = priority
        self.tags = tags
        self.completed = completed
    }
}

/// What the owner has set for their todos.
public struct TodoSettings: Hashable, Sendable {
    /// The IANA time zone that decides which day is today, such as `Europe/Berlin`; `nil` means UTC.
    public var timeZone: String?

    /// Settings with `timeZone`.
    public init(timeZone: String? = nil) { self.timeZone = timeZone }
}

/// The outcome of completing several todos at once.
public struct BulkCompletion: Hashable, Sendable {
    /// The todos now completed (also those that already were), in the order asked.
    public var completed: [Todo]
    /// The ids that name no todo of the owner, in the order asked.
    public var notFound: [String]
}

/// The todo operations, each on behalf of an owner.
///
/// Every operation takes the owner, and a todo of another user behaves exactly like one that does
/// not exist: the same ``TodoError/notFound(id:)``, the same message. Every stored write is
/// published to the ``TodoChangePublisher`` given, after it is stored.
///
/// ```swift
/// let service = TodoService(repository: InMemoryTodoRepository())
/// let todo = try await service.create(NewTodo(title: "Buy milk"), owner: alice)
/// let page = try await service.list(TodoListRequest(status: .open), owner: alice)
/// ```
public struct TodoService: Sendable {
    private let repository: any TodoRepository
    private let clock: WallClock
    private let makeID: @Sendable () -> TodoID
    private let maxTodosPerOwner: Int
    private let changes: (any TodoChangePublisher)?

    /// A service over `repository`.
    /// - Parameters:
    ///   - repository: where todos are kept.
    ///   - now: the source of creation, update and completion times (stored to the millisecond).
    ///   - makeID: the source of new ids; random by default.
    ///   - maxTodosPerOwner: the most todos one owner may keep.
    ///   - changes: hears of every stored write, such as a ``TodoChangeFeed``.
    public init(
        repository: any TodoRepository,
        now: @escaping @Sendable () -> Date = Date.init,
        maxTodosPerOwner: Int = TodoRules.defaultMaxTodosPerOwner,
        changes: (any TodoChangePublisher)? = nil,
        makeID: @escaping @Sendable () -> TodoID = { TodoID.random() }
    ) {
        self.repository = repository
        self.clock = WallClock(now)
        self.makeID = makeID
        self.maxTodosPerOwner = maxTodosPerOwner
        self.changes = changes
    }

    /// The current time, as the service stores it.
    public func now() -> Date { self.clock.now() }

    /// Creates a todo for `owner`.
    public func create(_ input: NewTodo, owner: UserID) async throws -> Todo {
        let now = self.clock.now()
        let todo = Todo(
            id: self.makeID(),
            owner: owner,
            title: try TodoRules.title(input.title),
            notes: try TodoRules.notes(input.notes),
            dueDate: try TodoRules.dueDate(input.dueDate),
            priority: try TodoRules.priority(input.priority),
            tags: try TodoRules.tags(input.tags),
            createdAt: now,
            updatedAt: now
        )
        guard try await self.repository.insert(todo, maxPerOwner: self.maxTodosPerOwner) else {
            throw TodoError.limitReached(maxTodos: self.maxTodosPerOwner)
        }
        self.changes?.publish([TodoChange(before: nil, after: todo)])
        return todo
    }

    /// The todo with `id`, if `owner` owns it.
    public func get(_ id: String, owner: UserID) async throws -> Todo {
        guard let todoID = TodoID(id), let todo = try await self.repository.todo(id: todoID, owner: owner) else {
            throw TodoError.notFound(id: id)
        }
        return todo
    }

    /// Applies `changes` to the todo with `id`. Every field is validated before anything is stored.
    public func update(_ id: String, changes: TodoChanges, owner: UserID) async throws -> Todo {
        let before = try await self.get(id, owner: owner)
        var todo = before
        if let title = changes.title { todo.title = try TodoRules.title(title) }
        switch changes.notes {
        case .keep: break
        case .set(let notes): todo.notes = try TodoRules.notes(notes)
        case .clear: todo.notes = nil
        }
        switch changes.dueDate {
        case .keep: break
        case .set(let date): todo.dueDate = try TodoRules.dueDate(date)
        case .clear: todo.dueDate = nil
        }
        if let priority = changes.priority { todo.priority = try TodoRules.priority(priority) }
        if let tags = changes.tags { todo.tags = try TodoRules.tags(tags) }
        let now = self.clock.now()
        switch changes.completed {
        case true? where !todo.isCompleted: todo.completedAt = now
        case false?: todo.completedAt = nil
        default: break
        }
        // An update that changes no field stores nothing and keeps the todo's update time.
        guard todo != before else { return before }
        todo.updatedAt = now
        guard try await self.repository.update(todo) else { throw TodoError.notFound(id: todo.id.rawValue) }
        self.changes?.publish([TodoChange(before: before, after: todo)])
        return todo
    }

    /// Marks the todo with `id` completed. Completing a completed todo keeps its completion time.
    public func complete(_ id: String, owner: UserID) async throws -> Todo {
        try await self.update(id, changes: TodoChanges(completed: true), owner: owner)
    }

    /// Completes up to ``TodoRules/maxBulkIDs`` todos in one write. Ids that name no todo of
    /// `owner` (another user's included) are reported as not found; the others are completed.
    public func complete(ids: [String], owner: UserID) async throws -> BulkCompletion {
        guard !ids.isEmpty, ids.count <= TodoRules.maxBulkIDs else {
            throw TodoError.invalid(field: "ids", message: "ids must hold 1 to \(TodoRules.maxBulkIDs) todo ids; it holds \(ids.count).")
        }
        var seen: Set<String> = []
        let unique = ids.filter { seen.insert($0).inserted }
        var found: [String: Todo] = [:]
        for id in unique {
            guard let todoID = TodoID(id), let todo = try await self.repository.todo(id: todoID, owner: owner) else { continue }
            found[id] = todo
        }
        // One statement per todo, in one transaction, completes only what is still open, so a
        // change made meanwhile by another client is never overwritten.
        let open = unique.compactMap { found[$0] }.filter { !$0.isCompleted }
        let completed = try await self.repository.complete(ids: open.map(\.id), owner: owner, at: self.clock.now())
        var changes: [TodoChange] = []
        for todo in completed {
            changes.append(TodoChange(before: found[todo.id.rawValue], after: todo))
            found[todo.id.rawValue] = todo
        }
        for todo in open where !completed.contains(where: { $0.id == todo.id }) {
            // Deleted meanwhile, or completed by another client: read what it is now.
            found[todo.id.rawValue] = try await self.repository.todo(id: todo.id, owner: owner)
        }
        if !changes.isEmpty { self.changes?.publish(changes) }
        return BulkCompletion(completed: unique.compactMap { found[$0] }, notFound: unique.filter { found[$0] == nil })
    }

    /// Deletes the todo with `id` and returns it as it was.
    @discardableResult
    public func delete(_ id: String, owner: UserID) async throws -> Todo {
        let todo = try await self.get(id, owner: owner)
        guard try await self.repository.delete(id: todo.id, owner: owner) else { throw TodoError.notFound(id: id) }
        self.changes?.publish([TodoChange(before: todo, after: nil)])
        return todo
    }

    /// What `owner` has set.
    public func settings(owner: UserID) async throws -> TodoSettings {
        TodoSettings(timeZone: try await self.repository.timeZone(owner: owner))
    }

    /// Saves the time zone that decides which day is today for `owner`; `nil` goes back to UTC.
    public func setTimeZone(_ raw: String?, owner: UserID) async throws -> TodoSettings {
        let name = try raw.map { raw throws(TodoError) in try TodoRules.timeZone(raw, field: "timeZone").identifier }
        try await self.repository.setTimeZone(name, owner: owner)
        return TodoSettings(timeZone: name)
    }

    /// Today for `owner`: in `timeZone` when given (an IANA name), else in the owner's saved time
    /// zone, else in UTC.
    public func today(owner: UserID, timeZone: String? = nil) async throws -> CalendarDate {
        CalendarDate(self.clock.now(), in: try await self.zone(owner: owner, asked: timeZone))
    }

    private func zone(owner: UserID, asked: String?) async throws -> TimeZone {
        if let asked { return try TodoRules.timeZone(asked) }
        // A saved zone this machine no longer knows falls back to UTC rather than failing.
        if let saved = try await self.repository.timeZone(owner: owner), let zone = TimeZone(identifier: saved) { return zone }
        return TimeZone(identifier: "UTC")!
    }

    /// The validated filter of `request`, with `today` and `overdue` turned into due dates.
    public func filter(for request: TodoListRequest, owner: UserID) async throws -> TodoFilter {
        let dueAfter = try TodoRules.dueDate(request.dueAfter, field: "due_after")
        var filter = TodoFilter(
            status: request.status,
            query: try TodoRules.query(request.query),
            priority: try request.priority.map { raw throws(TodoError) in try TodoRules.priority(raw) },
            tag: try request.tag.map { raw throws(TodoError) in try TodoRules.tag(raw, field: "tag") },
            dueOnOrAfter: dueAfter?.next,
            dueBefore: try TodoRules.dueDate(request.dueBefore, field: "due_before"),
            undated: request.undated,
            completedSince: request.completedSince
        )
        if dueAfter == CalendarDate.last {
            // No day follows the last one: nothing is due after it.
            filter.dueBefore = CalendarDate.last
        }
        if request.today && request.overdue {
            throw TodoError.invalid(
                field: "overdue",
                message: "today and overdue exclude each other: a todo due today is not overdue. Ask for one of them."
            )
        }
        if request.overdue && request.statusGiven && request.status != .open {
            throw TodoError.invalid(
                field: "overdue",
                message: "overdue lists open todos only; leave status out or set it to open."
            )
        }
        if request.today || request.overdue {
            let today = try await self.today(owner: owner, timeZone: request.timeZone)
            if request.today {
                filter.dueOnOrAfter = max(filter.dueOnOrAfter ?? today, today)
                filter.dueBefore = min(filter.dueBefore ?? today.next, today.next)
            }
            if request.overdue {
                filter.status = .open
                filter.dueBefore = min(filter.dueBefore ?? today, today)
            }
        } else if let timeZone = request.timeZone {
            _ = try TodoRules.timeZone(timeZone)
        }
        return filter
    }

    /// One page of `owner`'s todos.
    public func list(_ request: TodoListRequest, owner: UserID) async throws -> TodoPage {
        let filter = try await self.filter(for: request, owner: owner)
        let limit = try TodoRules.limit(request.limit)
        let after = try request.cursor.map { cursor throws(TodoError) in
            try TodoCursor(decoding: cursor, for: filter).after
        }
        var todos = try await self.repository.list(owner: owner, filter: filter, after: after, limit: limit + 1)
        var nextCursor: String?
        if todos.count > limit {
            todos.removeLast(todos.count - limit)
            nextCursor = todos.last.map { TodoCursor(filter: filter, after: TodoSortKey($0)).encoded() }
        }
        return TodoPage(todos: todos, nextCursor: nextCursor)
    }
}
