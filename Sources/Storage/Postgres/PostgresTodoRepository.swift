public import Foundation
import PostgresNIO
public import TodoDomain

/// Todos in PostgreSQL. Every statement is filtered by owner; the reads and writes every tool call
/// makes are prepared statements, prepared once per connection.
public struct PostgresTodoRepository: TodoRepository {
    private let database: PostgresAppDatabase

    /// A repository in `database`.
    public init(_ database: PostgresAppDatabase) { self.database = database }

    public func insert(_ todo: Todo, maxPerOwner: Int) async throws -> Bool {
        try await !self.database.rows(Insert(todo: todo, maxPerOwner: maxPerOwner)).isEmpty
    }

    public func todo(id: TodoID, owner: UserID) async throws -> Todo? {
        try await self.database.rows(Fetch(id: id.rawValue, owner: owner.rawValue)).first
    }

    public func update(_ todo: Todo) async throws -> Bool {
        try await !self.database.rows(Update(todo: todo)).isEmpty
    }

    public func delete(id: TodoID, owner: UserID) async throws -> Bool {
        try await !self.database.rows(Delete(id: id.rawValue, owner: owner.rawValue)).isEmpty
    }

    public func complete(ids: [TodoID], owner: UserID, at date: Date) async throws -> [Todo] {
        guard !ids.isEmpty else { return [] }
        let milliseconds = date.millisecondsSince1970
        return try await self.database.transaction { transaction in
            var completed: [Todo] = []
            for id in ids {
                let rows = try await transaction.rows(
                    """
                    UPDATE todos SET completed_at = \(milliseconds), updated_at = \(milliseconds)
                    WHERE id = \(id.rawValue) AND owner_id = \(owner.rawValue) AND completed_at IS NULL
                    RETURNING \(unescaped: Self.columns)
                    """
                )
                completed += try rows.map(Self.todo(from:))
            }
            return completed
        }
    }

    public func timeZone(owner: UserID) async throws -> String? {
        try await self.database.rows("SELECT time_zone FROM todo_settings WHERE owner_id = \(owner.rawValue)")
            .first.map { try $0.decode(String?.self) } ?? nil
    }

    public func setTimeZone(_ name: String?, owner: UserID) async throws {
        if let name {
            try await self.database.rows(
                """
                INSERT INTO todo_settings (owner_id, time_zone) VALUES (\(owner.rawValue), \(name))
                ON CONFLICT (owner_id) DO UPDATE SET time_zone = excluded.time_zone
                """
            )
        } else {
            try await self.database.rows("DELETE FROM todo_settings WHERE owner_id = \(owner.rawValue)")
        }
    }

    public func list(owner: UserID, filter: TodoFilter, after: TodoSortKey?, limit: Int) async throws -> [Todo] {
        try await self.database.rows(Self.listingQuery(owner: owner, filter: filter, after: after, limit: limit)).map(Self.todo(from:))
    }

    public func recent(owner: UserID, after: TodoRecencyKey?, limit: Int) async throws -> [Todo] {
        var bindings = PostgresBindings()
        var sql = "SELECT \(Self.columns) FROM todos WHERE owner_id = \(bindings.add(owner.rawValue))"
        if let after {
            sql += " AND (created_at, id) < (\(bindings.add(after.createdAt.millisecondsSince1970)), \(bindings.add(after.id.rawValue)))"
        }
        sql += " ORDER BY created_at DESC, id DESC LIMIT \(bindings.add(Int64(limit)))"
        return try await self.database.rows(PostgresQuery(unsafeSQL: sql, binds: bindings)).map(Self.todo(from:))
    }

    public func deleteAll(owner: UserID) async throws -> Int {
        let rows = try await self.database.rows(
            "WITH deleted AS (DELETE FROM todos WHERE owner_id = \(owner.rawValue) RETURNING 1) SELECT count(*) FROM deleted"
        )
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    /// The query of ``list(owner:filter:after:limit:)``: a keyset page over the `todos_listing` index,
    /// with the same terms as SQLite's (see `SQLiteTodoRepository.listingStatement`).
    static func listingQuery(owner: UserID, filter: TodoFilter, after: TodoSortKey?, limit: Int) -> PostgresQuery {
        var bindings = PostgresBindings()
        var sql = "SELECT \(Self.columns) FROM todos WHERE owner_id = \(bindings.add(owner.rawValue))"
        let statusIsFixed = filter.status != .all
        let sortKey = statusIsFixed ? Self.sortKeyWithinStatus : "done, " + Self.sortKeyWithinStatus
        if statusIsFixed {
            sql += " AND done = \(bindings.add(filter.status == .completed))"
        }
        if let query = filter.query {
            let pattern = bindings.add(SQLiteTodoRepository.likePattern(containing: query))
            sql += #" AND (title ILIKE \#(pattern) ESCAPE '\' OR notes ILIKE \#(pattern) ESCAPE '\')"#
        }
        if let priority = filter.priority {
            sql += " AND priority = \(bindings.add(priority.rawValue))"
        }
        if let tag = filter.tag {
            // Whole lines of the tags column.
            sql += " AND strpos(E'\\n' || tags || E'\\n', E'\\n' || \(bindings.add(tag)) || E'\\n') > 0"
        }
        if let first = filter.dueOnOrAfter {
            sql += " AND due_date >= \(bindings.add(first.description))"
        }
        if let end = filter.dueBefore {
            sql += " AND due_date < \(bindings.add(end.description))"
        }
        if filter.undated {
            sql += " AND due_date IS NULL"
        }
        if let since = filter.completedSince {
            sql += " AND completed_at >= \(bindings.add(since.millisecondsSince1970))"
        }
        if let after {
            var values: [String] = statusIsFixed ? [] : [bindings.add(after.isCompleted)]
            values += [
                bindings.add(after.dueDate == nil), bindings.add(after.dueDate?.description ?? ""),
                bindings.add(after.createdAt), bindings.add(after.id.rawValue),
            ]
            sql += " AND (\(sortKey)) > (\(values.joined(separator: ", ")))"
        }
        sql += " ORDER BY \(sortKey) LIMIT \(bindings.add(Int64(limit)))"
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    // MARK: Statements

    /// The listing order after the completion status: the columns of the index (see the schema).
    private static let sortKeyWithinStatus = "undated, due_key, created_at, id"

    static let columns = "id, owner_id, title, notes, due_date, priority, completed_at, created_at, updated_at, tags"

    /// A statement about one todo of one owner: the id is `$1`, the owner `$2`.
    protocol OwnedTodoStatement: PostgresPreparedStatement {
        var id: String { get }
        var owner: String { get }
    }

    /// The todo of one owner by id.
    struct Fetch: OwnedTodoStatement {
        static let sql = "SELECT \(PostgresTodoRepository.columns) FROM todos WHERE id = $1 AND owner_id = $2"
        typealias Row = Todo
        var id: String
        var owner: String

        func decodeRow(_ row: PostgresRow) throws -> Todo { try PostgresTodoRepository.todo(from: row) }
    }

    /// A new todo, if its owner has a free slot: the slot is taken (a row lock on the owner's
    /// count) in the same statement, so parallel creates on any instance never pass the limit.
    struct Insert: PostgresPreparedStatement {
        static let sql = """
            WITH slot AS (
                INSERT INTO todo_counts AS counts (owner_id, count) SELECT $2, 1 WHERE $11 > 0
                ON CONFLICT (owner_id) DO UPDATE SET count = counts.count + 1 WHERE counts.count < $11
                RETURNING 1
            )
            INSERT INTO todos (id, owner_id, title, notes, due_date, priority, completed_at, created_at, updated_at, tags)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM slot
            RETURNING 1
            """
        typealias Row = Void
        var todo: Todo
        var maxPerOwner: Int

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresTodoRepository.bindings(self.todo)
            bindings.append(Int64(clamping: self.maxPerOwner))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Every field of a todo but its creation time, by id and owner.
    struct Update: PostgresPreparedStatement {
        static let sql = """
            UPDATE todos SET title = $3, notes = $4, due_date = $5, priority = $6, completed_at = $7, updated_at = $8, tags = $9
            WHERE id = $1 AND owner_id = $2
            RETURNING 1
            """
        typealias Row = Void
        var todo: Todo

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 9)
            bindings.append(self.todo.id.rawValue)
            bindings.append(self.todo.owner.rawValue)
            bindings.append(self.todo.title)
            bindings.append(self.todo.notes)
            bindings.append(self.todo.dueDate?.description)
            bindings.append(self.todo.priority.rawValue)
            bindings.append(self.todo.completedAt?.millisecondsSince1970)
            bindings.append(self.todo.updatedAt.millisecondsSince1970)
            bindings.append(self.todo.tags.joined(separator: "\n"))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// One todo of one owner.
    struct Delete: OwnedTodoStatement {
        static let sql = "DELETE FROM todos WHERE id = $1 AND owner_id = $2 RETURNING 1"
        typealias Row = Void
        var id: String
        var owner: String

        func decodeRow(_ row: PostgresRow) throws {}
    }

    // MARK: Mapping

    /// The ten columns of a todo, in the order of ``columns``.
    static func bindings(_ todo: Todo) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 11)
        bindings.append(todo.id.rawValue)
        bindings.append(todo.owner.rawValue)
        bindings.append(todo.title)
        bindings.append(todo.notes)
        bindings.append(todo.dueDate?.description)
        bindings.append(todo.priority.rawValue)
        bindings.append(todo.completedAt?.millisecondsSince1970)
        bindings.append(todo.createdAt.millisecondsSince1970)
        bindings.append(todo.updatedAt.millisecondsSince1970)
        bindings.append(todo.tags.joined(separator: "\n"))
        return bindings
    }

    static func todo(from row: PostgresRow) throws -> Todo {
        let (id, owner, title, notes, dueDate, priority, completedAt, createdAt, updatedAt, tags) = try row.decode(
            (String, String, String, String?, String?, String, Int64?, Int64, Int64, String).self
        )
        guard let todoID = TodoID(id), let priority = TodoPriority(rawValue: priority) else {
            throw StorageError.corruptRow(table: "todos", id: id)
        }
        let due = try dueDate.map { text in
            guard let date = CalendarDate(text) else { throw StorageError.corruptRow(table: "todos", id: id) }
            return date
        }
        return Todo(
            id: todoID,
            owner: UserID(owner),
            title: title,
            notes: notes,
            dueDate: due,
            priority: priority,
            tags: tags.isEmpty ? [] : tags.split(separator: "\n", omittingEmptySubsequences: true).map(String.init),
            completedAt: completedAt.map(Date.init(millisecondsSince1970:)),
            createdAt: Date(millisecondsSince1970: createdAt),
            updatedAt: Date(millisecondsSince1970: updatedAt)
        )
    }
}

extension PostgresTodoRepository.OwnedTodoStatement {
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(self.id)
        bindings.append(self.owner)
        return bindings
    }
}

extension PostgresBindings {
    /// Appends `value` and returns its placeholder (`$n`), for statements built piece by piece.
    mutating func add<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        self.append(value)
        return "$\(self.count)"
    }
}
