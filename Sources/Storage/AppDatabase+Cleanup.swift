public import Foundation
import GRDB
import TodoDomain

/// How many rows one cleanup removed, by kind.
public struct CleanupReport: Hashable, Sendable {
    /// Expired login codes.
    public var loginCodes = 0
    /// Authorization codes expired for a day or more.
    public var authorizationCodes = 0
    /// Refresh tokens past their expiry, or revoked a day ago or more.
    public var refreshTokens = 0
    /// Access-token revocations whose tokens have expired anyway.
    public var revokedAccessTokens = 0
    /// Grant revocations whose access tokens have expired anyway.
    public var revokedGrants = 0
    /// Legacy MCP sessions idle for longer than the idle timeout.
    public var sessions = 0
    /// Clients registered a day ago or more that hold no refresh token, consent or authorization code.
    public var clients = 0
    /// E-mails whose content expired before they could be sent.
    public var mailOutbox = 0

    /// All rows removed, of every kind.
    public var total: Int {
        self.loginCodes + self.authorizationCodes + self.refreshTokens + self.revokedAccessTokens + self.revokedGrants + self.sessions + self.clients + self.mailOutbox
    }
}

extension AppDatabase {
    /// Deletes what can no longer be used at `now`: expired login and authorization codes, refresh
    /// tokens past their expiry (or revoked a day ago), expired revocation entries, idle MCP
    /// sessions, clients registered more than a day ago that hold no token, consent or code, and
    /// e-mails in the outbox whose content expired.
    public func purgeExpired(now: Date, sessionIdleTimeout: TimeInterval) async throws -> CleanupReport {
        let time = now.millisecondsSince1970
        let dayAgo = time - 86_400_000
        let idleSince = time - Int64(sessionIdleTimeout * 1000)
        return try await self.writer.write { db in
            var report = CleanupReport()
            try db.execute(sql: "DELETE FROM login_codes WHERE expires_at <= ?", arguments: [time])
            report.loginCodes = db.changesCount
            try db.execute(sql: "DELETE FROM authorization_codes WHERE expires_at <= ?", arguments: [dayAgo])
            report.authorizationCodes = db.changesCount
            try db.execute(
                sql: "DELETE FROM refresh_tokens WHERE expires_at <= ? OR (revoked_at IS NOT NULL AND revoked_at <= ?)",
                arguments: [time, dayAgo]
            )
            report.refreshTokens = db.changesCount
            try db.execute(sql: "DELETE FROM revoked_access_tokens WHERE expires_at <= ?", arguments: [time])
            report.revokedAccessTokens = db.changesCount
            try db.execute(sql: "DELETE FROM revoked_grants WHERE expires_at <= ?", arguments: [time])
            report.revokedGrants = db.changesCount
            try db.execute(sql: "DELETE FROM mcp_sessions WHERE last_used_at < ?", arguments: [idleSince])
            report.sessions = db.changesCount
            try db.execute(sql: "DELETE FROM mail_outbox WHERE expires_at <= ?", arguments: [time])
            report.mailOutbox = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM oauth_clients WHERE created_at <= ?
                    AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE client_id = oauth_clients.id)
                    AND NOT EXISTS (SELECT 1 FROM consents WHERE client_id = oauth_clients.id)
                    AND NOT EXISTS (SELECT 1 FROM authorization_codes WHERE client_id = oauth_clients.id)
                    """,
                arguments: [dayAgo]
            )
            report.clients = db.changesCount
            return report
        }
    }
}
