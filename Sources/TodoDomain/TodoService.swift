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

    /// The fields of a new todo; only the title is required.
    public init(title: String, notes: String? = nil, dueDate: String? = nil, priority: String? = nil) {
        self.title = title
        self.notes = notes
        self.dueDate = dueDate
        self.priority = priority
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
    /// `true` completes the todo, `false` reopens it.
    public var completed: Bool?

    /// The changes to make; every field left out stays as it is.
    public init(
        title: String? = nil,
        notes: FieldChange<String> = .keep,
        dueDate: FieldChange<String> = .keep,
        priority: String? = nil,
        completed: Bool? = nil
    ) {
        self.title = title
        self.notes = notes
        self.dueDate = dueDate
        self.priority = priority
        self.completed = completed
    }

    /// Whether the update changes nothing.
    public var isEmpty: Bool {
        self.title == nil && self.notes == .keep && self.dueDate == .keep && self.priority == nil && self.completed == nil
    }
}

/// The todo operations, each on behalf of an owner.
///
/// Every operation takes the owner, and a todo of another user behaves exactly like one that does
/// not exist: the same ``TodoError/notFound(id:)``, the same message.
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

    /// A service over `repository`.
    /// - Parameters:
    ///   - repository: where todos are kept.
    ///   - now: the source of creation, update and completion times (stored to the millisecond).
    ///   - makeID: the source of new ids; random by default.
    ///   - maxTodosPerOwner: the most todos one owner may keep.
    public init(
        repository: any TodoRepository,
        now: @escaping @Sendable () -> Date = Date.init,
        maxTodosPerOwner: Int = TodoRules.defaultMaxTodosPerOwner,
        makeID: @escaping @Sendable () -> TodoID = { TodoID.random() }
    ) {
        self.repository = repository
        self.clock = WallClock(now)
        self.makeID = makeID
        self.maxTodosPerOwner = maxTodosPerOwner
    }

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
            createdAt: now,
            updatedAt: now
        )
        guard try await self.repository.insert(todo, maxPerOwner: self.maxTodosPerOwner) else {
            throw TodoError.limitReached(maxTodos: self.maxTodosPerOwner)
        }
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
        var todo = try await self.get(id, owner: owner)
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
        let now = self.clock.now()
        switch changes.completed {
        case true? where !todo.isCompleted: todo.completedAt = now
        case false?: todo.completedAt = nil
        default: break
        }
        guard !changes.isEmpty else { return todo }
        todo.updatedAt = now
        return try await self.store(todo)
    }

    /// Marks the todo with `id` completed. Completing a completed todo keeps its completion time.
    public func complete(_ id: String, owner: UserID) async throws -> Todo {
        try await self.update(id, changes: TodoChanges(completed: true), owner: owner)
    }

    /// Deletes the todo with `id` and returns it as it was.
    @discardableResult
    public func delete(_ id: String, owner: UserID) async throws -> Todo {
        let todo = try await self.get(id, owner: owner)
        guard try await self.repository.delete(id: todo.id, owner: owner) else { throw TodoError.notFound(id: id) }
        return todo
    }

    /// One page of `owner`'s todos.
    public func list(_ request: TodoListRequest, owner: UserID) async throws -> TodoPage {
        let filter = TodoFilter(status: request.status, query: try TodoRules.query(request.query))
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

    private func store(_ todo: Todo) async throws -> Todo {
        guard try await self.repository.update(todo) else { throw TodoError.notFound(id: todo.id.rawValue) }
        return todo
    }
}
