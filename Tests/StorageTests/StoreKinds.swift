import Foundation
import GRDB
import Logging
import MCPCore
import MailDelivery
import OAuthKit
import PostgresNIO
import Testing
import TodoDomain

@testable import Storage

/// The databases the store tests run against: SQLite always; PostgreSQL when `TEST_DATABASE_URL`
/// names a server where databases may be created and dropped (`make test` starts a throw-away
/// cluster for this; see `scripts/postgres-cluster.sh`).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { self.rawValue }

    static let available: [StoreKind] = PostgresTestDatabases.url == nil ? [.sqlite] : [.sqlite, .postgres]
}

/// Every store of one fresh, empty, migrated database.
struct TestStores: Sendable {
    let oauth: any OAuthStore
    let todos: any TodoRepository
    let sessions: any MCPSessionStore
    let outbox: any MailOutbox
    let purge: @Sendable (_ now: Date, _ sessionIdleTimeout: TimeInterval) async throws -> CleanupReport
    /// The per-owner todo counts the create limit reads.
    let todoCounts: @Sendable () async throws -> [String: Int]
    /// How many rows `table` holds.
    let rowCount: @Sendable (_ table: String) async throws -> Int
    /// Runs one SQL statement that both databases understand, such as a test's shortcut past the stores.
    let execute: @Sendable (_ sql: String) async throws -> Void

    /// The user who signs in with `email`, created if new.
    func user(_ email: String) async throws -> UserID {
        UserID(try await self.oauth.findOrCreateUser(email: email, at: Date(millisecondsSince1970: 1_800_000_000_000)))
    }
}

/// Runs `body` with the stores of a new empty database of `kind`, removed afterwards.
func withStores<T: Sendable>(_ kind: StoreKind, _ body: (TestStores) async throws -> T) async throws -> T {
    switch kind {
    case .sqlite:
        let database = try AppDatabase.inMemory()
        return try await body(
            TestStores(
                oauth: SQLiteOAuthStore(database),
                todos: SQLiteTodoRepository(database),
                sessions: SQLiteMCPSessionStore(database),
                outbox: SQLiteMailOutbox(database),
                purge: { try await database.purgeExpired(now: $0, sessionIdleTimeout: $1) },
                todoCounts: {
                    try await database.read { db in
                        var counts: [String: Int] = [:]
                        for row in try Row.fetchAll(db, sql: "SELECT owner_id, count FROM todo_counts") { counts[row[0]] = row[1] }
                        return counts
                    }
                },
                rowCount: { table in try await database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? 0 } },
                execute: { sql in try await database.writer.write { try $0.execute(sql: sql) } }
            )
        )
    case .postgres:
        return try await PostgresTestDatabases.withDatabase { database in
            try await body(TestStores.postgres(database))
        }
    }
}

extension TestStores {
    static func postgres(_ database: PostgresAppDatabase) -> TestStores {
        TestStores(
            oauth: PostgresOAuthStore(database),
            todos: PostgresTodoRepository(database),
            sessions: PostgresMCPSessionStore(database),
            outbox: PostgresMailOutbox(database),
            purge: { try await database.purgeExpired(now: $0, sessionIdleTimeout: $1) },
            todoCounts: {
                var counts: [String: Int] = [:]
                for row in try await database.rows("SELECT owner_id, count FROM todo_counts") {
                    let (owner, count) = try row.decode((String, Int32).self)
                    counts[owner] = Int(count)
                }
                return counts
            },
            rowCount: { table in
                Int(try await database.rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).first?.decode(Int64.self) ?? 0)
            },
            execute: { sql in try await database.rows(PostgresQuery(unsafeSQL: sql)) }
        )
    }
}

/// Databases on the PostgreSQL server of `TEST_DATABASE_URL`: each test gets a copy of one template
/// migrated once per process, and drops it when done.
enum PostgresTestDatabases {
    static let url: String? = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static let logger: Logger = {
        var logger = Logger(label: "postgres-tests")
        logger.logLevel = .error  // not the pool's notes on connections closed at the end of a test
        return logger
    }()

    /// The server's settings, and a one-connection pool to its maintenance database (one
    /// connection, so that databases are created one at a time: copying a template needs it idle).
    private static let admin: Result<(settings: PostgresSettings, database: PostgresAppDatabase), any Error> = Result { () throws(any Error) in
        guard let url else { throw PostgresURLError("TEST_DATABASE_URL is not set") }
        let settings = try PostgresSettings(url: url)
        return (settings, PostgresAppDatabase(settings: settings, maximumConnections: 1, logger: logger))
    }

    /// The template's name, once it exists and is migrated.
    private static let template = Task<String, any Error> {
        let (settings, admin) = try Self.admin.get()
        let name = "todo_template_\(ProcessInfo.processInfo.processIdentifier)"
        try await admin.rows(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        try await admin.rows(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        var templateSettings = settings
        templateSettings.database = name
        let database = try await PostgresAppDatabase.connect(templateSettings, maximumConnections: 1, logger: logger)
        await database.close()
        return name
    }

    /// Settings for a new database copied from the template.
    static func createDatabase() async throws -> PostgresSettings {
        let template = try await Self.template.value
        let (settings, admin) = try Self.admin.get()
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.rows(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"))
        var copy = settings
        copy.database = name
        return copy
    }

    /// Drops a database made by ``createDatabase()``.
    static func dropDatabase(_ settings: PostgresSettings) async throws {
        try await Self.admin.get().database.rows(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(settings.database) WITH (FORCE)"))
    }

    /// Runs `body` with a pool to a new database copied from the template, then drops it.
    static func withDatabase<T: Sendable>(connections: Int = 6, _ body: (PostgresAppDatabase) async throws -> T) async throws -> T {
        let settings = try await self.createDatabase()
        let database = try await PostgresAppDatabase.connect(settings, maximumConnections: connections, logger: logger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(database))
        } catch {
            result = .failure(error)
        }
        await database.close()
        try await self.dropDatabase(settings)
        return try result.get()
    }
}

@Suite("Store test databases")
struct StoreTestDatabaseTests {
    /// `make test` sets `REQUIRE_POSTGRES_TESTS`, so that the PostgreSQL half of the store tests
    /// can never be skipped there without a failure.
    @Test("PostgreSQL is tested wherever it is required")
    func postgresIsAvailableWhenRequired() {
        if ProcessInfo.processInfo.environment["REQUIRE_POSTGRES_TESTS"] == "1" {
            #expect(StoreKind.available.contains(.postgres), "TEST_DATABASE_URL is not set: run the tests through make test")
        }
    }
}
