import Foundation
import Logging
import ServiceLifecycle
import Storage

/// Purges expired codes, tokens and sessions on a schedule, and stops on graceful shutdown.
struct CleanupService: Service {
    let database: AppDatabase
    let interval: Duration
    let sessionIdleTimeout: TimeInterval
    let now: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.runOnce()
                try? await Task.sleep(for: self.interval)
            }
        }
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
