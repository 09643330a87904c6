public import Foundation
import GRDB
public import OAuthKit
import TodoDomain

/// What the account page and the admin commands ask of the authorization server's data: accounts,
/// their session generations, the apps they connected, and revoking those.
extension SQLiteOAuthStore {
    // MARK: Accounts

    public func account(subject: String) async throws -> Account? {
        try await self.database.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT users.id, user_emails.email, users.created_at, users.session_generation
                    FROM users JOIN user_emails ON user_emails.user_id = users.id
                    WHERE users.id = ? ORDER BY user_emails.created_at, user_emails.email LIMIT 1
                    """,
                arguments: [subject]
            ).map { row in
                Account(subject: row[0], email: row[1], createdAt: Date(millisecondsSince1970: row[2]), sessionGeneration: row[3])
            }
        }
    }

    public func endSessions(subject: String) async throws {
        try await self.database.writer.write { db in
            try db.execute(sql: "UPDATE users SET session_generation = session_generation + 1 WHERE id = ?", arguments: [subject])
        }
    }

    public func deleteAccount(subject: String) async throws {
        try await self.database.writer.write { db in
            // Login codes are kept by address; everything else goes with the user (ON DELETE CASCADE).
            try db.execute(
                sql: "DELETE FROM login_codes WHERE email IN (SELECT email FROM user_emails WHERE user_id = ?)",
                arguments: [subject]
            )
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [subject])
        }
    }

    // MARK: Connected apps

    public func connections(subject: String, at date: Date) async throws -> [AppConnection] {
        try await self.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT consents.client_id, consents.scopes, coalesce(consents.first_granted_at, consents.granted_at),
                        (SELECT max(issued_at) FROM refresh_tokens
                            WHERE user_id = consents.user_id AND client_id = consents.client_id),
                        EXISTS (SELECT 1 FROM refresh_tokens
                            WHERE user_id = consents.user_id AND client_id = consents.client_id
                            AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > ?2)
                    FROM consents WHERE consents.user_id = ?1
                    ORDER BY 3, 1
                    """,
                arguments: [subject, date.millisecondsSince1970]
            ).map { row in
                let lastUsed: Int64? = row[3]
                return AppConnection(
                    clientID: row[0],
                    scopes: Self.scopes(row[1]),
                    firstAuthorizedAt: Date(millisecondsSince1970: row[2]),
                    lastUsedAt: lastUsed.map(Date.init(millisecondsSince1970:)),
                    isSignedIn: row[4]
                )
            }
        }
    }

    public func revokeGrants(subject: String, clientID: String?, forgetConsent: Bool, at date: Date) async throws -> [String] {
        let clientFilter = clientID == nil ? "" : " AND client_id = ?"
        let now = date.millisecondsSince1970
        /// `leading` followed by the client id, when there is one.
        func arguments(_ leading: [any DatabaseValueConvertible]) -> StatementArguments {
            StatementArguments(leading + (clientID.map { [$0] } ?? []))
        }
        let (forSubject, forUpdate) = (arguments([subject]), arguments([now, subject]))
        return try await self.database.writer.write { db in
            // Every family, expired or not: an access token may outlive its refresh token.
            let families = try String.fetchAll(
                db,
                sql: "SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = ?\(clientFilter) ORDER BY 1",
                arguments: forSubject
            )
            try db.execute(
                sql: "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL\(clientFilter)",
                arguments: forUpdate
            )
            try db.execute(
                sql: "UPDATE authorization_codes SET used_at = ? WHERE user_id = ? AND used_at IS NULL\(clientFilter)",
                arguments: forUpdate
            )
            if forgetConsent {
                try db.execute(sql: "DELETE FROM consents WHERE user_id = ?\(clientFilter)", arguments: forSubject)
            }
            return families
        }
    }
}
