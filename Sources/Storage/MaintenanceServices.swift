public import Foundation
public import Logging
public import ServiceLifecycle

/// Runs `work` at once and then every `interval`, until graceful shutdown.
package struct PeriodicService: Service {
    let interval: Duration
    let work: @Sendable () async -> Void

    /// A service running `work` every `interval`.
    package init(interval: Duration, work: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.work = work
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.work()
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}

/// Purges expired codes, tokens and sessions on a schedule, and stops on graceful shutdown.
///
/// ```swift
/// let cleanup = CleanupService(database: database, interval: .seconds(600), sessionIdleTimeout: 86_400, logger: logger)
/// let app = Application(router: router, services: [cleanup, CheckpointService(database: database, logger: logger)])
/// ```
public struct CleanupService: Service {
    let database: any MaintainedDatabase
    let interval: Duration
    let sessionIdleTimeout: TimeInterval
    let now: @Sendable () -> Date
    let logger: Logger

    /// A cleanup of `database`, run every `interval`.
    /// - Parameters:
    ///   - database: the database to clean (with PostgreSQL, one instance at a time cleans it).
    ///   - interval: the time between passes (the first runs at once).
    ///   - sessionIdleTimeout: how long a legacy MCP session may go unused.
    ///   - now: the clock.
    ///   - logger: where passes that removed rows, and failures, are logged.
    public init(
        database: any MaintainedDatabase,
        interval: Duration = .seconds(600),
        sessionIdleTimeout: TimeInterval,
        now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger
    ) {
        self.database = database
        self.interval = interval
        self.sessionIdleTimeout = sessionIdleTimeout
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        try await PeriodicService(interval: self.interval, work: self.runOnce).run()
    }

    /// One pass; a failure is logged and the next pass tries again.
    package func runOnce() async {
        do {
            let report = try await self.database.purgeExpired(now: self.now(), sessionIdleTimeout: self.sessionIdleTimeout)
            if report.total > 0 { self.logger.info("Cleanup removed \(report.total) expired rows", metadata: ["cleanup": "\(report)"]) }
        } catch {
            self.logger.error("Cleanup failed: \(error)")
        }
    }
}

/// Copies the database's write-ahead log into the database file every `interval`, off the write
/// path (see ``AppDatabase/checkpoint()``), and stops on graceful shutdown.
public struct CheckpointService: Service {
    let database: AppDatabase
    let interval: Duration
    let logger: Logger

    /// Checkpoints of `database`, run every `interval`.
    /// - Parameters:
    ///   - database: the database whose log is copied.
    ///   - interval: the time between checkpoints.
    ///   - logger: where failures are logged.
    public init(database: AppDatabase, interval: Duration = .milliseconds(100), logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await PeriodicService(interval: self.interval, work: self.runOnce).run()
    }

    /// One checkpoint; a failure is logged and the next one tries again.
    package func runOnce() async {
        do {
            try await self.database.checkpoint()
        } catch {
            self.logger.error("Checkpoint failed: \(error)")
        }
    }
}
