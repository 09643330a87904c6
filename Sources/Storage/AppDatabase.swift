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
    /// The connection (a pool for files, a queue in memory). Repositories read and write through
    /// it; others write through ``write(_:)``.
    package let writer: any DatabaseWriter
    /// For files: a connection of its own that copies the write-ahead log into the database, so
    /// that a checkpoint never holds up a write (see ``checkpoint()``).
    private let checkpointer: DatabaseQueue?
    let groupCommit: GroupCommit
    /// Permits for ``read(_:)``.
    private let longReads = DispatchSemaphore(value: AppDatabase.longReadLimit)

    private init(writer: any DatabaseWriter, checkpointer: DatabaseQueue? = nil) {
        self.writer = writer
        self.checkpointer = checkpointer
        self.groupCommit = GroupCommit(writer: writer)
    }

    /// Runs `work` in a transaction shared with the writes that arrive while the previous commit is
    /// under way, in a savepoint of its own, and returns once that transaction is committed (and,
    /// for files, on disk). A failing `work` rolls back only what it did.
    ///
    /// Use it for small, independent writes made at a high rate, such as one per request: a commit
    /// waits for the disk, and this way many writes share that wait.
    public func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await self.groupCommit.write(work)
    }

    /// Runs `work` on a reader (a snapshot that writes in progress do not disturb), on a thread of
    /// its own: for reads that may take long (several statements, a search, an export).
    ///
    /// At most ``longReadLimit`` run at a time, so that readers are always left for
    /// ``readStatement(_:)``, whose callers wait for one on their own thread. The reader is taken
    /// and given back on that thread, never held while a task waits to resume (GRDB's own
    /// asynchronous read keeps it until its caller's executor runs again; mixed with reads that
    /// wait on the executor's threads, that could leave every reader held and every thread waiting).
    public func read<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let (writer, permits) = (self.writer, self.longReads)
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                permits.wait()
                defer { permits.signal() }
                continuation.resume(with: Result { try Self.read(in: writer, work) })
            }
        }
    }

    /// Runs `work`, a single indexed statement (a row by its key, a page of an index), on a reader,
    /// on the calling thread, without a transaction.
    ///
    /// These reads take tens of microseconds. GRDB's asynchronous read hops to one dispatch queue to
    /// wait for a free reader and to another to run the query, then back, and opens a savepoint:
    /// on the request path that costs more than the query. Here the caller's thread (an event loop)
    /// runs it, and SQLite reads one statement from one snapshot, so no transaction is needed.
    /// Anything that may scan, or runs several statements that must agree, uses ``read(_:)``.
    public func readStatement<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try Self.readStatement(in: self.writer, work)
    }

    /// How many ``read(_:)`` calls run at once; the pool has this many readers plus one per core
    /// for ``readStatement(_:)``.
    public static let longReadLimit = 4

    /// GRDB's synchronous read.
    private static func read<T>(in reader: any DatabaseReader, _ work: (Database) throws -> T) throws -> T {
        try reader.read(work)
    }

    /// GRDB's synchronous read without a transaction (readers of a pool are read-only connections).
    private static func readStatement<T>(in reader: any DatabaseReader, _ work: (Database) throws -> T) throws -> T {
        try reader.unsafeRead(work)
    }

    /// Opens (creating it and its folder if needed) the database file at `path`, and applies every
    /// pending migration.
    public static func open(path: String) throws -> AppDatabase {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: path, configuration: configuration)
        // A commit returns once it is on disk: the write-ahead log is synced at every commit
        // (the pool opens in WAL mode with NORMAL, which may lose the last commits on power loss).
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        let database = AppDatabase(writer: pool, checkpointer: try DatabaseQueue(path: path, configuration: configuration))
        try database.migrate()
        return database
    }

    /// Opens the existing database file at `path` for an admin command: never creates it, never
    /// migrates it, and refuses one whose migrations are not exactly this binary's (a wrong path,
    /// or a database an older or newer server last ran on).
    public static func openExisting(path: String) throws -> AppDatabase {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AdministrationError("there is no database at \(path); check DATABASE_PATH")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        let database = AppDatabase(writer: pool, checkpointer: try DatabaseQueue(path: path, configuration: configuration))
        let applied = try database.appliedMigrations()
        guard applied == Migrations.all.map(\.name) else {
            throw AdministrationError(
                "the database at \(path) is at migration \(applied.last ?? "none"), this binary at \(Migrations.all.last!.name): start this version's server once (it migrates), then try again"
            )
        }
        return database
    }

    /// Copies what it can of the write-ahead log into the database file, on its own connection,
    /// without waiting for readers or writers (a passive checkpoint). Returns the frames in the log
    /// and how many of them are now in the database; `nil` for an in-memory database.
    ///
    /// SQLite would otherwise checkpoint inside whichever commit fills the log, and every write
    /// queued behind that commit would wait for it. Call this often (the server does, ten times a
    /// second); if nobody does, SQLite still checkpoints by itself once the log reaches
    /// ``autoCheckpointPages`` pages.
    @discardableResult
    public func checkpoint() async throws -> (logFrames: Int, checkpointedFrames: Int)? {
        guard let checkpointer = self.checkpointer else { return nil }
        let result = try await checkpointer.writeWithoutTransaction { try $0.checkpoint(.passive) }
        return (result.walFrameCount, result.checkpointedFrameCount)
    }

    /// The size of the write-ahead log, in pages, at which a commit checkpoints by itself: a
    /// fallback, far above what the log reaches between two calls of ``checkpoint()``.
    public static let autoCheckpointPages = 10_000

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
        try await self.read { db in
            try Migrations.migrator.hasCompletedMigrations(db)
        }
    }

    /// Sizes and counts for the metrics endpoint: cheap reads (no count of a table that grows with use).
    public func statistics() async throws -> DatabaseStatistics {
        try await self.read { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return DatabaseStatistics(
                sizeBytes: pages * pageSize,
                outboxDepth: try Int.fetchOne(db, sql: "SELECT count(*) FROM mail_outbox") ?? 0
            )
        }
    }

    private static var configuration: Configuration {
        var configuration = Configuration()
        configuration.maximumReaderCount = AppDatabase.longReadLimit + ProcessInfo.processInfo.activeProcessorCount
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(autoCheckpointPages)")
        }
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
