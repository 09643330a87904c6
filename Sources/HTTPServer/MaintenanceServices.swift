import Foundation
import Logging
import ServiceLifecycle
import Storage

/// Runs `work` at once and then every `interval`, until graceful shutdown.
struct PeriodicService: Service {
    let interval: Duration
    let work: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.work()
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}

/// Purges expired codes, tokens and sessions on a schedule, and stops on graceful shutdown.
struct CleanupService: Service {
    let database: AppDatabase
    let interval: Duration
    let sessionIdleTimeout: TimeInterval
    let now: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        try await PeriodicService(interval: self.interval, work: self.runOnce).run()
    }

    /// One pass; a failure is logged and the next pass tries again.
    func runOnce() async {
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
struct CheckpointService: Service {
    let database: AppDatabase
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try await PeriodicService(interval: self.interval, work: self.runOnce).run()
    }

    /// One checkpoint; a failure is logged and the next one tries again.
    func runOnce() async {
        do {
            try await self.database.checkpoint()
        } catch {
            self.logger.error("Checkpoint failed: \(error)")
        }
    }
}
