import Foundation
public import GRDB

/// The application's SQLite database: opened, configured and migrated.
///
/// Production opens a file in WAL mode with a pool of readers; tests get a fresh in-memory copy of
/// an already migrated template, so each test starts empty and none waits for migrations.
///
/// ```swift
/// let database = try AppDatabase.open(path: "./data/todo.sqlite")
/// let todos = SQLiteTodoRepository(database)
/// ```
public struct AppDatabase: Sendable {
    /// The connection (a pool for files, a queue in memory). Repositories read and write through it.
    public let writer: any DatabaseWriter

    private init(writer: any DatabaseWriter) { self.writer = writer }

    /// Opens (creating it and its folder if needed) the database file at `path`, and applies every
    /// pending migration.
    public static func open(path: String) throws -> AppDatabase {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: path, configuration: configuration)
        let database = AppDatabase(writer: pool)
        try database.migrate()
        return database
    }

    /// A new, empty, migrated database in memory, cloned from a template migrated once per process.
    public static func inMemory() throws -> AppDatabase {
        let copy = try DatabaseQueue(configuration: configuration)
        try Template.migrated.get().backup(to: copy)
        return AppDatabase(writer: copy)
    }

    /// Applies every migration not yet applied.
    public func migrate() throws {
        try Migrations.migrator.migrate(self.writer)
    }

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() throws -> [String] {
        try self.writer.read { try Migrations.migrator.appliedMigrations($0) }
    }

    /// Deletes every table and row, then migrates again: an empty database of the current schema.
    public func reset() throws {
        try self.writer.erase()
        try self.migrate()
    }

    /// Whether the database answers a query and has every migration applied. Throws when it cannot be read.
    public func isHealthy() async throws -> Bool {
        try await self.writer.read { db in
            try Migrations.migrator.hasCompletedMigrations(db)
        }
    }

    private static var configuration: Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        return configuration
    }

    private enum Template {
        static let migrated: Result<DatabaseQueue, any Error> = Result {
            let queue = try DatabaseQueue(configuration: configuration)
            try Migrations.migrator.migrate(queue)
            return queue
        }
    }
}
