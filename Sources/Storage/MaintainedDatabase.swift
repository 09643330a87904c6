public import Foundation

/// What the server asks of its database beyond the stores: health, metrics and cleanup. SQLite's
/// ``AppDatabase`` and PostgreSQL's ``PostgresAppDatabase`` both answer.
public protocol MaintainedDatabase: Sendable {
    /// Whether the database answers a query and has every migration applied. Throws when it cannot be read.
    func isHealthy() async throws -> Bool
    /// Sizes and counts for the metrics endpoint.
    func statistics() async throws -> DatabaseStatistics
    /// Deletes what can no longer be used at `now` (see ``CleanupReport``).
    func purgeExpired(now: Date, sessionIdleTimeout: TimeInterval) async throws -> CleanupReport
}

extension AppDatabase: MaintainedDatabase {}
extension PostgresAppDatabase: MaintainedDatabase {}
