public import Foundation
import GRDB
public import OAuthKit
import TodoDomain

/// Everything the authorization server keeps, in SQLite: clients, accounts, login codes, grants and keys.
public struct SQLiteOAuthStore: ClientStore, AccountStore, LoginCodeStore, GrantStore, SigningKeyStore {
    let database: AppDatabase

    /// A store in `database`.
    public init(_ database: AppDatabase) { self.database = database }

    // MARK: Clients

    public func client(id: String) async throws -> OAuthClient? {
        try await self.client(where: "id", is: id)
    }

    public func client(metadataHash: String) async throws -> OAuthClient? {
        try await self.client(where: "metadata_hash", is: metadataHash)
    }

    public func save(_ client: OAuthClient, metadataHash: String) async throws {
        let uris = String(decoding: try JSONEncoder().encode(client.redirectURIs), as: UTF8.self)
        try await self.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO oauth_clients (id, metadata_hash, name, redirect_uris, created_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET name = excluded.name, redirect_uris = excluded.redirect_uris,
                        created_at = excluded.created_at
                    """,
                arguments: [client.id, metadataHash, client.name, uris, client.createdAt.millisecondsSince1970]
            )
        }
    }

    private func client(where column: String, is value: String) async throws -> OAuthClient? {
        try await self.database.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, redirect_uris, created_at FROM oauth_clients WHERE \(column) = ?", arguments: [value])
                .map(Self.client(from:))
        }
    }

    private static func client(from row: Row) throws -> OAuthClient {
        let uris: String = row[2]
        return OAuthClient(
            id: row[0],
            name: row[1],
            redirectURIs: try JSONDecoder().decode([String].self, from: Data(uris.utf8)),
            createdAt: Date(millisecondsSince1970: row[3])
        )
    }

    // MARK: Accounts

    public func findOrCreateUser(email: String, at date: Date) async throws -> String {
        try await SQLiteUserRepository(self.database, now: { date }).findOrCreateUser(email: email).rawValue
    }

    // MARK: Login codes

    public func replaceLoginCode(_ code: LoginCode) async throws {
        try await self.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO login_codes (id, email, flow_id, code_hash, expires_at, attempts) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(email, flow_id) DO UPDATE SET id = excluded.id, code_hash = excluded.code_hash,
                        expires_at = excluded.expires_at, attempts = excluded.attempts
                    """,
                arguments: [code.id, code.email, code.flowID, code.codeHash, code.expiresAt.millisecondsSince1970, code.attempts]
            )
        }
    }

    public func countLoginCodeAttempt(email: String, flowID: String, at date: Date, maxAttempts: Int) async throws -> LoginCode? {
        try await self.database.writer.write { db in
            try Row.fetchOne(
                db,
                sql: """
                    UPDATE login_codes SET attempts = attempts + 1
                    WHERE email = ? AND flow_id = ? AND expires_at > ? AND attempts < ?
                    RETURNING id, email, flow_id, code_hash, expires_at, attempts
                    """,
                arguments: [email, flowID, date.millisecondsSince1970, maxAttempts]
            ).map { row in
                LoginCode(
                    id: row[0],
                    email: row[1],
                    flowID: row[2],
                    codeHash: row[3],
                    expiresAt: Date(millisecondsSince1970: row[4]),
                    attempts: row[5]
                )
            }
        }
    }

    public func deleteLoginCode(id: String) async throws -> Bool {
        try await self.database.writer.write { db in
            try db.execute(sql: "DELETE FROM login_codes WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    // MARK: Authorization codes and consent

    public func insertCode(_ code: AuthorizationCode) async throws {
        try await self.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO authorization_codes
                        (code_hash, client_id, user_id, redirect_uri, code_challenge, resource, scopes, expires_at, session_generation)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    code.codeHash, code.clientID, code.subject, code.redirectURI, code.codeChallenge, code.resource,
                    code.scopes.joined(separator: " "), code.expiresAt.millisecondsSince1970, code.sessionGeneration,
                ]
            )
        }
    }

    public func code(hash: String) async throws -> AuthorizationCode? {
        try await self.database.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT code_hash, client_id, user_id, redirect_uri, code_challenge, resource, scopes, expires_at, family_id,
                        session_generation
                    FROM authorization_codes WHERE code_hash = ?
                    """,
                arguments: [hash]
            ).map { row in
                AuthorizationCode(
                    codeHash: row[0],
                    clientID: row[1],
                    subject: row[2],
                    redirectURI: row[3],
                    codeChallenge: row[4],
                    resource: row[5],
                    scopes: Self.scopes(row[6]),
                    expiresAt: Date(millisecondsSince1970: row[7]),
                    familyID: row[8],
                    sessionGeneration: row[9]
                )
            }
        }
    }

    public func redeemCode(hash: String, at date: Date, refreshToken: RefreshToken) async throws -> Bool {
        try await self.database.writer.write { db in
            try db.execute(
                sql: """
                    UPDATE authorization_codes SET used_at = ?, family_id = ? WHERE code_hash = ? AND used_at IS NULL
                    AND EXISTS (SELECT 1 FROM consents
                        WHERE consents.user_id = authorization_codes.user_id AND consents.client_id = authorization_codes.client_id)
                    AND session_generation = (SELECT session_generation FROM users WHERE users.id = authorization_codes.user_id)
                    """,
                arguments: [date.millisecondsSince1970, refreshToken.familyID, hash]
            )
            guard db.changesCount == 1 else { return false }
            try Self.insert(refreshToken, in: db)
            return true
        }
    }

    public func hasConsent(subject: String, clientID: String, scopes: [String]) async throws -> Bool {
        let granted = try await self.database.read { db in
            try String.fetchOne(db, sql: "SELECT scopes FROM consents WHERE user_id = ? AND client_id = ?", arguments: [subject, clientID])
        }
        guard let granted else { return false }
        return Set(scopes).isSubset(of: Self.scopes(granted))
    }

    public func recordConsent(subject: String, clientID: String, scopes: [String], at date: Date) async throws {
        try await self.database.writer.write { db in
            let earlier = try String.fetchOne(
                db,
                sql: "SELECT scopes FROM consents WHERE user_id = ? AND client_id = ?",
                arguments: [subject, clientID]
            )
            let all = Set(scopes).union(earlier.map(Self.scopes) ?? []).sorted().joined(separator: " ")
            try db.execute(
                sql: """
                    INSERT INTO consents (user_id, client_id, scopes, granted_at, first_granted_at) VALUES (?1, ?2, ?3, ?4, ?4)
                    ON CONFLICT(user_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at
                    """,
                arguments: [subject, clientID, all, date.millisecondsSince1970]
            )
        }
    }

    // MARK: Refresh tokens

    public func refreshToken(hash: String) async throws -> RefreshToken? {
        try await self.database.read { db in try Self.refreshToken(hash: hash, in: db) }
    }

    public func exchangeRefreshToken(
        hash: String,
        at date: Date,
        decide: @Sendable (_ token: RefreshToken?, _ successor: RefreshToken?) -> RefreshDecision
    ) async throws -> RefreshDecision {
        try await self.database.writer.write { db in
            let token = try Self.refreshToken(hash: hash, in: db)
            let successor = try token?.successorHash.flatMap { try Self.refreshToken(hash: $0, in: db) }
            let decision = decide(token, successor)
            switch decision {
            case .rotate(let successor):
                try db.execute(
                    sql: "UPDATE refresh_tokens SET rotated_at = coalesce(rotated_at, ?), successor_hash = ? WHERE token_hash = ?",
                    arguments: [date.millisecondsSince1970, successor.tokenHash, hash]
                )
                // The first use of one of several tokens from one parent: its siblings are done.
                if let token, token.rotatedAt == nil, let parent = token.parentHash {
                    try db.execute(
                        sql: """
                            UPDATE refresh_tokens SET rotated_at = ?, successor_hash = ?
                            WHERE parent_hash = ? AND token_hash <> ? AND rotated_at IS NULL
                            """,
                        arguments: [date.millisecondsSince1970, successor.tokenHash, parent, hash]
                    )
                }
                try Self.insert(successor, in: db)
            case .revokeFamily(let family):
                try Self.revokeFamily(family, at: date, in: db)
            case .reject:
                break
            }
            return decision
        }
    }

    public func revokeFamily(_ familyID: String, at date: Date) async throws {
        try await self.database.writer.write { db in try Self.revokeFamily(familyID, at: date, in: db) }
    }

    private static func revokeFamily(_ familyID: String, at date: Date, in db: Database) throws {
        try db.execute(
            sql: "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
            arguments: [date.millisecondsSince1970, familyID]
        )
    }

    private static func insert(_ token: RefreshToken, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, resource, scopes, issued_at, expires_at, parent_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                token.tokenHash, token.familyID, token.clientID, token.subject, token.resource, token.scopes.joined(separator: " "),
                token.issuedAt.millisecondsSince1970, token.expiresAt.millisecondsSince1970, token.parentHash,
            ]
        )
    }

    private static func refreshToken(hash: String, in db: Database) throws -> RefreshToken? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT token_hash, family_id, client_id, user_id, resource, scopes, issued_at, expires_at, rotated_at, revoked_at,
                    successor_hash, parent_hash
                FROM refresh_tokens WHERE token_hash = ?
                """,
            arguments: [hash]
        ).map { row in
            let rotated: Int64? = row[8]
            let revoked: Int64? = row[9]
            return RefreshToken(
                tokenHash: row[0],
                familyID: row[1],
                clientID: row[2],
                subject: row[3],
                resource: row[4],
                scopes: Self.scopes(row[5]),
                issuedAt: Date(millisecondsSince1970: row[6]),
                expiresAt: Date(millisecondsSince1970: row[7]),
                rotatedAt: rotated.map(Date.init(millisecondsSince1970:)),
                successorHash: row[10],
                parentHash: row[11],
                revokedAt: revoked.map(Date.init(millisecondsSince1970:))
            )
        }
    }

    static func scopes(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    // MARK: Signing keys and revoked access tokens

    public func signingKeys(creatingWith makeKey: @Sendable () -> SigningKey) async throws -> [SigningKey] {
        // Read first: the server reads the ring every few seconds, and only the first start writes.
        let existing = try await self.database.read { db in try Self.signingKeys(in: db) }
        if !existing.isEmpty { return existing }
        return try await self.database.writer.write { db in
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM signing_keys") == 0 {
                let key = makeKey()
                try db.execute(
                    sql: "INSERT INTO signing_keys (id, secret, created_at) VALUES (?, ?, ?)",
                    arguments: [key.id, Data(key.secret), key.createdAt.millisecondsSince1970]
                )
            }
            return try Self.signingKeys(in: db)
        }
    }

    private static func signingKeys(in db: Database) throws -> [SigningKey] {
        try Row.fetchAll(db, sql: "SELECT id, secret, created_at FROM signing_keys ORDER BY created_at, id").map { row in
            let secret: Data = row[1]
            return SigningKey(id: row[0], secret: Array(secret), createdAt: Date(millisecondsSince1970: row[2]))
        }
    }

    public func revokeAccessToken(id: String, expiresAt: Date) async throws {
        try await self.database.writer.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO revoked_access_tokens (token_id, expires_at) VALUES (?, ?)",
                arguments: [id, expiresAt.millisecondsSince1970]
            )
        }
    }

    public func revokedAccessTokens(at date: Date) async throws -> [String: Date] {
        try await self.unexpired(sql: "SELECT token_id, expires_at FROM revoked_access_tokens WHERE expires_at > ?", at: date)
    }

    public func revokeGrant(id: String, expiresAt: Date) async throws {
        try await self.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO revoked_grants (grant_id, expires_at) VALUES (?, ?)
                    ON CONFLICT(grant_id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)
                    """,
                arguments: [id, expiresAt.millisecondsSince1970]
            )
        }
    }

    public func revokedGrants(at date: Date) async throws -> [String: Date] {
        try await self.unexpired(sql: "SELECT grant_id, expires_at FROM revoked_grants WHERE expires_at > ?", at: date)
    }

    /// Ids and expiry times from a query of two columns that takes the current time.
    private func unexpired(sql: String, at date: Date) async throws -> [String: Date] {
        try await self.database.read { db in
            var entries: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: [date.millisecondsSince1970]) {
                entries[row[0]] = Date(millisecondsSince1970: row[1])
            }
            return entries
        }
    }
}
