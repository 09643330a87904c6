public import Foundation
import PostgresNIO
import TodoDomain

extension PostgresAppDatabase {
    /// Deletes what can no longer be used at `now`, as ``AppDatabase/purgeExpired(now:sessionIdleTimeout:)``
    /// does, in one transaction that holds an advisory lock: while one instance purges, the others
    /// skip their pass (and return an empty report) instead of deleting the same rows at once.
    public func purgeExpired(now: Date, sessionIdleTimeout: TimeInterval) async throws -> CleanupReport {
        let time = now.millisecondsSince1970
        let dayAgo = time - 86_400_000
        let idleSince = time - Int64(sessionIdleTimeout * 1000)
        return try await self.transaction { transaction in
            var report = CleanupReport()
            let locked = try await transaction.rows("SELECT pg_try_advisory_xact_lock(\(Self.cleanupLock))")
            guard try locked.first?.decode(Bool.self) == true else { return report }
            /// Runs a `DELETE … RETURNING 1` and counts its rows.
            func count(_ query: PostgresQuery) async throws -> Int { try await transaction.rows(query).count }
            report.loginCodes = try await count("DELETE FROM login_codes WHERE expires_at <= \(time) RETURNING 1")
            report.authorizationCodes = try await count("DELETE FROM authorization_codes WHERE expires_at <= \(dayAgo) RETURNING 1")
            report.refreshTokens = try await count(
                "DELETE FROM refresh_tokens WHERE expires_at <= \(time) OR (revoked_at IS NOT NULL AND revoked_at <= \(dayAgo)) RETURNING 1"
            )
            report.revokedAccessTokens = try await count("DELETE FROM revoked_access_tokens WHERE expires_at <= \(time) RETURNING 1")
            report.revokedGrants = try await count("DELETE FROM revoked_grants WHERE expires_at <= \(time) RETURNING 1")
            // No instance caches a session that has been idle this long (a cache trusts an entry
            // for seconds), so the others need not hear of these.
            report.sessions = try await count("DELETE FROM mcp_sessions WHERE last_used_at < \(idleSince) RETURNING 1")
            report.mailOutbox = try await count("DELETE FROM mail_outbox WHERE expires_at <= \(time) RETURNING 1")
            report.clients = try await count(
                """
                DELETE FROM oauth_clients WHERE created_at <= \(dayAgo)
                AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE client_id = oauth_clients.id)
                AND NOT EXISTS (SELECT 1 FROM consents WHERE client_id = oauth_clients.id)
                AND NOT EXISTS (SELECT 1 FROM authorization_codes WHERE client_id = oauth_clients.id)
                RETURNING 1
                """
            )
            return report
        }
    }
}
