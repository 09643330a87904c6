public import Foundation
public import Logging
public import PostgresNIO
public import ServiceLifecycle

/// The application's PostgreSQL database: a pool of connections (postgres-nio's `PostgresClient`),
/// migrated when opened. Several server instances share one such database.
///
/// The pool runs from ``connect(_:maximumConnections:logger:)`` on, because the server reads its
/// signing keys before it starts; add the database to the application's services (first, so that
/// it stops last) and it closes on graceful shutdown, or call ``close()``.
///
/// ```swift
/// let database = try await PostgresAppDatabase.connect(PostgresSettings(url: "postgres://todo@db/todo"), logger: logger)
/// let todos = PostgresTodoRepository(database)
/// ```
public final class PostgresAppDatabase: Service, Sendable {
    /// The pool.
    public let client: PostgresClient
    /// Where it connects.
    public let settings: PostgresSettings
    let logger: Logger
    private let pool: Task<Void, Never>

    init(settings: PostgresSettings, maximumConnections: Int, logger: Logger) {
        self.settings = settings
        self.logger = logger
        let client = PostgresClient(configuration: settings.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
        self.client = client
        self.pool = Task { await client.run() }
    }

    /// Opens a pool to the database of `settings` and applies every pending migration.
    /// - Parameters:
    ///   - settings: where the database is.
    ///   - maximumConnections: the most connections this process opens; keep the sum over all
    ///     instances below the server's `max_connections` (100 by default).
    ///   - logger: where the pool logs.
    /// - Throws: when the database cannot be reached within ten seconds, or a migration fails.
    public static func connect(_ settings: PostgresSettings, maximumConnections: Int = 20, logger: Logger) async throws -> PostgresAppDatabase {
        let database = PostgresAppDatabase(settings: settings, maximumConnections: maximumConnections, logger: logger)
        do {
            try await database.migrate()
        } catch {
            await database.close()
            throw PostgresStoreError.unreachable(settings.redacted, error)
        }
        return database
    }

    /// Waits for graceful shutdown (or cancellation), then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.close()
    }

    /// Closes every connection; queries after this fail.
    public func close() async {
        self.pool.cancel()
        await self.pool.value
    }

    // MARK: Queries

    /// Runs `query` on a connection of the pool and returns its rows, all read.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await self.client.query(query, logger: self.logger).collect()
    }

    /// Runs a prepared statement and returns its rows, all read.
    func rows<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] {
        try await Self.collect(self.client.execute(statement, logger: self.logger))
    }

    /// Every element of `sequence`, read to its end (which gives its connection back to the pool).
    static func collect<Rows: AsyncSequence>(_ sequence: Rows) async throws -> [Rows.Element] {
        var rows: [Rows.Element] = []
        for try await row in sequence { rows.append(row) }
        return rows
    }

    /// Runs `work` in a transaction on one connection: committed when it returns, rolled back when it throws.
    /// The error `work` threw is rethrown as it was (after the rollback).
    func transaction<T: Sendable>(_ work: (Transaction) async throws -> T) async throws -> T {
        do {
            return try await self.client.withTransaction(logger: self.logger) { connection in
                try await work(Transaction(connection: connection, logger: self.logger))
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    /// One connection inside a transaction.
    struct Transaction {
        let connection: PostgresConnection
        let logger: Logger

        /// Runs `query` and returns its rows, all read.
        @discardableResult
        func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
            try await self.connection.query(query, logger: self.logger).collect()
        }

        /// Runs a prepared statement and returns its rows, all read.
        func rows<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] {
            try await PostgresAppDatabase.collect(self.connection.execute(statement, logger: self.logger))
        }
    }

    // MARK: Migrations

    /// The advisory lock that migrations hold, so that instances starting together migrate one at a time.
    static let migrationLock: Int64 = 0x746F_646F_0001
    /// The advisory lock a cleanup pass holds, so that one instance at a time purges.
    static let cleanupLock: Int64 = 0x746F_646F_0002
    /// The advisory lock held while the first signing key is made, so that instances starting together make one.
    static let signingKeyLock: Int64 = 0x746F_646F_0003
    /// The seed of the advisory locks of refresh-token families (one lock per family, by hash).
    static let familyLockSeed: Int64 = 0x746F_646F_0004

    /// Applies every migration of `db/migrations/postgres/` not yet applied, in one transaction
    /// that holds an advisory lock: an instance that starts while another migrates waits, then
    /// finds nothing left to do.
    public func migrate() async throws {
        try await self.transaction { transaction in
            try await transaction.rows("SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try await transaction.rows(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            let applied = Set(try await transaction.rows("SELECT name FROM schema_migrations").map { try $0.decode(String.self) })
            for migration in PostgresMigrations.all where !applied.contains(migration.name) {
                for statement in PostgresMigrations.statements(of: migration.sql) {
                    try await transaction.rows(PostgresQuery(unsafeSQL: statement))
                }
                try await transaction.rows("INSERT INTO schema_migrations (name) VALUES (\(migration.name))")
            }
        }
    }

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() async throws -> [String] {
        try await self.rows("SELECT name FROM schema_migrations ORDER BY name").map { try $0.decode(String.self) }
    }

    // MARK: Health and metrics

    /// Whether the database answers a query and has every migration of this binary applied (and
    /// perhaps newer ones: during a rolling deploy the older instances stay healthy).
    public func isHealthy() async throws -> Bool {
        try await self.appliedMigrations().starts(with: PostgresMigrations.all.map(\.name))
    }

    /// Sizes and counts for the metrics endpoint.
    public func statistics() async throws -> DatabaseStatistics {
        let rows = try await self.rows("SELECT pg_database_size(current_database()), (SELECT count(*) FROM mail_outbox)")
        guard let row = rows.first else { return DatabaseStatistics(sizeBytes: 0, outboxDepth: 0) }
        let (size, depth) = try row.decode((Int64, Int64).self)
        return DatabaseStatistics(sizeBytes: Int(size), outboxDepth: Int(depth))
    }
}

/// A failure of the PostgreSQL store that is not a plain query error.
public enum PostgresStoreError: Error, CustomStringConvertible {
    /// The database could not be reached or migrated.
    case unreachable(String, any Error)

    public var description: String {
        switch self {
        case .unreachable(let url, let error):
            "PostgreSQL at \(url) could not be reached or migrated: \(String(reflecting: error))"
        }
    }
}
