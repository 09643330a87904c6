public import Foundation

/// Where todos are kept. Every read and write names the owner, and an implementation must never
/// return or change a todo of another owner.
public protocol TodoRepository: Sendable {
    /// Stores a new todo unless its owner already has `maxPerOwner` todos, in one step, so that
    /// parallel inserts cannot pass the limit together. Returns whether it was stored.
    func insert(_ todo: Todo, maxPerOwner: Int) async throws -> Bool
    /// The todo with `id` if `owner` owns it.
    func todo(id: TodoID, owner: UserID) async throws -> Todo?
    /// Replaces the stored todo that has the same id and owner; returns whether there was one.
    func update(_ todo: Todo) async throws -> Bool
    /// Deletes the todo with `id` if `owner` owns it; returns whether there was one.
    func delete(id: TodoID, owner: UserID) async throws -> Bool
    /// Up to `limit` todos of `owner` that pass `filter`, in ``TodoSortKey`` order, starting after `after`.
    func list(owner: UserID, filter: TodoFilter, after: TodoSortKey?, limit: Int) async throws -> [Todo]
    /// Up to `limit` todos of `owner`, open and completed, newest first (by creation time, then id),
    /// starting after `after`: the account page and the data export.
    func recent(owner: UserID, after: TodoRecencyKey?, limit: Int) async throws -> [Todo]
    /// Deletes every todo of `owner`; returns how many there were.
    func deleteAll(owner: UserID) async throws -> Int
    /// Completes, at `date`, those of the todos with `ids` that `owner` owns and that are still
    /// open, in one transaction, changing nothing else; returns them as they are now, in the
    /// order of `ids`.
    func complete(ids: [TodoID], owner: UserID, at date: Date) async throws -> [Todo]
    /// The IANA time zone `owner` saved, if any.
    func timeZone(owner: UserID) async throws -> String?
    /// Saves `owner`'s time zone; `nil` removes it.
    func setTimeZone(_ name: String?, owner: UserID) async throws
}

/// Where a newest-first page of todos ends: the creation time and id of its last todo.
public struct TodoRecencyKey: Hashable, Sendable, Comparable {
    /// The creation time of the last todo shown.
    public var createdAt: Date
    /// Its id, which orders todos made in the same millisecond.
    public var id: TodoID

    /// The key of `todo`.
    public init(_ todo: Todo) {
        self.createdAt = todo.createdAt
        self.id = todo.id
    }

    /// A key from its parts, such as a cursor read back.
    public init(createdAt: Date, id: TodoID) {
        self.createdAt = createdAt
        self.id = id
    }

    /// Newer sorts first: `a < b` when `a` comes before `b` in a newest-first listing.
    public static func < (lhs: TodoRecencyKey, rhs: TodoRecencyKey) -> Bool {
        lhs.createdAt != rhs.createdAt ? lhs.createdAt > rhs.createdAt : lhs.id.rawValue > rhs.id.rawValue
    }
}

extension TodoRepository {
    /// Stores a new todo whatever its owner already has (imports, tests); the service applies the limit.
    public func insert(_ todo: Todo) async throws {
        _ = try await self.insert(todo, maxPerOwner: .max)
    }
}

/// A repository in memory: for tests, previews and servers that keep nothing.
public actor InMemoryTodoRepository: TodoRepository {
    private var todos: [TodoID: Todo] = [:]
    private var timeZones: [UserID: String] = [:]

    /// An empty repository.
    public init() {}

    public func insert(_ todo: Todo, maxPerOwner: Int) -> Bool {
        guard self.todos.values.count(where: { $0.owner == todo.owner }) < maxPerOwner else { return false }
        self.todos[todo.id] = todo
        return true
    }

    public func todo(id: TodoID, owner: UserID) -> Todo? {
        self.todos[id].flatMap { $0.owner == owner ? $0 : nil }
    }

    public func update(_ todo: Todo) -> Bool {
        guard self.todo(id: todo.id, owner: todo.owner) != nil else { return false }
        self.todos[todo.id] = todo
        return true
    }

    public func delete(id: TodoID, owner: UserID) -> Bool {
        guard self.todo(id: id, owner: owner) != nil else { return false }
        self.todos[id] = nil
        return true
    }

    public func list(owner: UserID, filter: TodoFilter, after: TodoSortKey?, limit: Int) -> [Todo] {
        let selected = self.todos.values.filter { todo in
            guard todo.owner == owner, filter.matches(todo) else { return false }
            guard let after else { return true }
            return after < TodoSortKey(todo)
        }
        return Array(selected.sorted { TodoSortKey($0) < TodoSortKey($1) }.prefix(limit))
    }

    public func recent(owner: UserID, after: TodoRecencyKey?, limit: Int) -> [Todo] {
        let selected = self.todos.values.filter { todo in
            todo.owner == owner && after.map { $0 < TodoRecencyKey(todo) } ?? true
        }
        return Array(selected.sorted { TodoRecencyKey($0) < TodoRecencyKey($1) }.prefix(limit))
    }

    public func complete(ids: [TodoID], owner: UserID, at date: Date) -> [Todo] {
        ids.compactMap { id in
            guard var todo = self.todo(id: id, owner: owner), !todo.isCompleted else { return nil }
            todo.completedAt = date
            todo.updatedAt = date
            self.todos[id] = todo
            return todo
        }
    }

    public func timeZone(owner: UserID) -> String? { self.timeZones[owner] }

    public func setTimeZone(_ name: String?, owner: UserID) { self.timeZones[owner] = name }

    public func deleteAll(owner: UserID) -> Int {
        let doomed = self.todos.values.filter { $0.owner == owner }.map(\.id)
        for id in doomed { self.todos[id] = nil }
        return doomed.count
    }
}
