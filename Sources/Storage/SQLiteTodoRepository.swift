public import Foundation
import GRDB
public import TodoDomain

/// Todos in SQLite. Every statement is filtered by owner.
public struct SQLiteTodoRepository: TodoRepository {
    private let database: AppDatabase

    /// A repository in `database`.
    public init(_ database: AppDatabase) { self.database = database }

    public func insert(_ todo: Todo, maxPerOwner: Int) async throws -> Bool {
        try await self.database.write { db in
            // The owner's count is one row that triggers keep (migration 017), so a create costs
            // the same however many todos the owner has.
            try db.cachedStatement(
                sql: """
                    INSERT INTO todos (id, owner_id, title, notes, due_date, priority, completed_at, created_at, updated_at, tags)
                    SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
                    WHERE coalesce((SELECT count FROM todo_counts WHERE owner_id = ?2), 0) < ?11
                    """
            ).execute(arguments: Self.arguments(todo) + [maxPerOwner])
            return db.changesCount > 0
        }
    }

    public func todo(id: TodoID, owner: UserID) async throws -> Todo? {
        try await self.database.readStatement { db in
            let statement = try db.cachedStatement(sql: "SELECT \(Self.columns) FROM todos WHERE id = ? AND owner_id = ?")
            return try Row.fetchOne(statement, arguments: [id.rawValue, owner.rawValue]).map(Self.todo(from:))
        }
    }

    public func update(_ todo: Todo) async throws -> Bool {
        try await self.database.write { db in try Self.update(todo, in: db) }
    }

    public func complete(ids: [TodoID], owner: UserID, at date: Date) async throws -> [Todo] {
        guard !ids.isEmpty else { return [] }
        let milliseconds = date.millisecondsSince1970
        return try await self.database.write { db in
            try ids.compactMap { id in
                try db.cachedStatement(
                    sql: "UPDATE todos SET completed_at = ?1, updated_at = ?1 WHERE id = ?2 AND owner_id = ?3 AND completed_at IS NULL"
                ).execute(arguments: [milliseconds, id.rawValue, owner.rawValue])
                guard db.changesCount > 0 else { return nil }
                let statement = try db.cachedStatement(sql: "SELECT \(Self.columns) FROM todos WHERE id = ? AND owner_id = ?")
                return try Row.fetchOne(statement, arguments: [id.rawValue, owner.rawValue]).map(Self.todo(from:))
            }
        }
    }

    private static func update(_ todo: Todo, in db: Database) throws -> Bool {
        try db.cachedStatement(
            sql: """
                UPDATE todos SET title = ?3, notes = ?4, due_date = ?5, priority = ?6, completed_at = ?7, updated_at = ?9, tags = ?10
                WHERE id = ?1 AND owner_id = ?2
                """
        ).execute(arguments: Self.arguments(todo))
        return db.changesCount > 0
    }

    public func timeZone(owner: UserID) async throws -> String? {
        try await self.database.readStatement { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT time_zone FROM todo_settings WHERE owner_id = ?"), arguments: [owner.rawValue])
        }
    }

    public func setTimeZone(_ name: String?, owner: UserID) async throws {
        try await self.database.write { db in
            if let name {
                try db.execute(
                    sql: """
                        INSERT INTO todo_settings (owner_id, time_zone) VALUES (?, ?)
                        ON CONFLICT (owner_id) DO UPDATE SET time_zone = excluded.time_zone
                        """,
                    arguments: [owner.rawValue, name]
                )
            } else {
                try db.execute(sql: "DELETE FROM todo_settings WHERE owner_id = ?", arguments: [owner.rawValue])
            }
        }
    }

    public func delete(id: TodoID, owner: UserID) async throws -> Bool {
        try await self.database.write { db in
            try db.cachedStatement(sql: "DELETE FROM todos WHERE id = ? AND owner_id = ?").execute(arguments: [id.rawValue, owner.rawValue])
            return db.changesCount > 0
        }
    }

    public func list(owner: UserID, filter: TodoFilter, after: TodoSortKey?, limit: Int) async throws -> [Todo] {
        let (sql, arguments) = Self.listingStatement(owner: owner, filter: filter, after: after, limit: limit)
        let page: @Sendable (Database) throws -> [Todo] = { db in
            // Few distinct statements (which filters and a cursor are present), so each is prepared once.
            try Array(Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments).map(Self.todo(from:)))
        }
        // A page of the index reads at most `limit` rows; a search or a filter on priority, tag or
        // due dates may read every todo of the owner.
        let readsIndexOnly =
            filter.query == nil && filter.priority == nil && filter.tag == nil && !filter.hasDueRange && !filter.undated
            && filter.completedSince == nil
        return readsIndexOnly ? try await self.database.readStatement(page) : try await self.database.read(page)
    }

    public func recent(owner: UserID, after: TodoRecencyKey?, limit: Int) async throws -> [Todo] {
        // Rare (the account page, exports): the owner's rows come from the listing index and are
        // sorted, rather than every write paying for one more index.
        var sql = "SELECT \(Self.columns) FROM todos WHERE owner_id = ?"
        var arguments: StatementArguments = [owner.rawValue]
        if let after {
            sql += " AND (created_at, id) < (?, ?)"
            arguments += [after.createdAt.millisecondsSince1970, after.id.rawValue]
        }
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        arguments += [limit]
        let (statement, bound) = (sql, arguments)
        return try await self.database.read { db in
            try Row.fetchAll(db, sql: statement, arguments: bound).map(Self.todo(from:))
        }
    }

    public func deleteAll(owner: UserID) async throws -> Int {
        try await self.database.write { db in
            try db.execute(sql: "DELETE FROM todos WHERE owner_id = ?", arguments: [owner.rawValue])
            return db.changesCount
        }
    }

    /// The query of ``list(owner:filter:after:limit:)``: a keyset page over the `todos_listing` index.
    static func listingStatement(
        owner: UserID,
        filter: TodoFilter,
        after: TodoSortKey?,
        limit: Int
    ) -> (sql: String, arguments: StatementArguments) {
        var sql = "SELECT \(Self.columns) FROM todos WHERE owner_id = ?"
        var arguments: StatementArguments = [owner.rawValue]
        // With the status fixed, its term is constant: leaving it out of the order and the keyset
        // lets SQLite read the index in order instead of sorting.
        let statusIsFixed = filter.status != .all
        let sortKey = statusIsFixed ? Self.sortKeyWithinStatus : "(completed_at IS NOT NULL), " + Self.sortKeyWithinStatus
        if statusIsFixed {
            sql += " AND (completed_at IS NOT NULL) = ?"
            arguments += [filter.status == .completed]
        }
        if let query = filter.query {
            let pattern = Self.likePattern(containing: query)
            sql += #" AND (title LIKE ? ESCAPE '\' OR notes LIKE ? ESCAPE '\')"#
            arguments += [pattern, pattern]
        }
        if let priority = filter.priority {
            sql += " AND priority = ?"
            arguments += [priority.rawValue]
        }
        if let tag = filter.tag {
            // Whole lines of the tags column (see migration 018).
            sql += " AND instr(char(10) || tags || char(10), char(10) || ? || char(10)) > 0"
            arguments += [tag]
        }
        if let first = filter.dueOnOrAfter {
            sql += " AND due_date >= ?"
            arguments += [first.description]
        }
        if let end = filter.dueBefore {
            sql += " AND due_date < ?"
            arguments += [end.description]
        }
        if filter.undated {
            sql += " AND due_date IS NULL"
        }
        if let since = filter.completedSince {
            sql += " AND completed_at >= ?"
            arguments += [since.millisecondsSince1970]
        }
        if let after {
            var values: [(any DatabaseValueConvertible)?] = statusIsFixed ? [] : [after.isCompleted]
            values += [after.dueDate == nil, after.dueDate?.description ?? "", after.createdAt, after.id.rawValue]
            sql += " AND (\(sortKey)) > (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))"
            arguments += StatementArguments(values)
        }
        sql += " ORDER BY \(sortKey) LIMIT ?"
        arguments += [limit]
        return (sql, arguments)
    }

    // MARK: Mapping

    /// The listing order after the completion status; with it, the same expressions as the
    /// `todos_listing` index, so that SQLite reads the index in order.
    private static let sortKeyWithinStatus = "(due_date IS NULL), coalesce(due_date, ''), created_at, id"

    private static let columns = "id, owner_id, title, notes, due_date, priority, completed_at, created_at, updated_at, tags"

    private static func arguments(_ todo: Todo) -> StatementArguments {
        [
            todo.id.rawValue, todo.owner.rawValue, todo.title, todo.notes, todo.dueDate?.description,
            todo.priority.rawValue, todo.completedAt?.millisecondsSince1970, todo.createdAt.millisecondsSince1970,
            todo.updatedAt.millisecondsSince1970, todo.tags.joined(separator: "\n"),
        ]
    }

    private static func todo(from row: Row) throws -> Todo {
        let id: String = row[0]
        let dueDate: String? = row[4]
        let priority: String = row[5]
        guard let todoID = TodoID(id), let priority = TodoPriority(rawValue: priority) else {
            throw StorageError.corruptRow(table: "todos", id: id)
        }
        let due = try dueDate.map { text in
            guard let date = CalendarDate(text) else { throw StorageError.corruptRow(table: "todos", id: id) }
            return date
        }
        let completedAt: Int64? = row[6]
        let tags: String = row[9]
        return Todo(
            id: todoID,
            owner: UserID(row[1]),
            title: row[2],
            notes: row[3],
            dueDate: due,
            priority: priority,
            tags: tags.isEmpty ? [] : tags.split(separator: "\n", omittingEmptySubsequences: true).map(String.init),
            completedAt: completedAt.map(Date.init(millisecondsSince1970:)),
            createdAt: Date(millisecondsSince1970: row[7]),
            updatedAt: Date(millisecondsSince1970: row[8])
        )
    }

    /// A `LIKE` pattern that matches `text` anywhere, with `%`, `_` and `\` in it taken literally.
    static func likePattern(containing text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }
}
