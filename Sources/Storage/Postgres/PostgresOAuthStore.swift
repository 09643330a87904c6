public import Foundation
public import OAuthKit
import PostgresNIO
import TodoDomain

/// Everything the authorization server keeps, in PostgreSQL: clients, accounts, login codes,
/// grants and keys.
///
/// Several instances write here at once, so every rule that SQLite keeps by running one write at
/// a time is kept by the statements themselves: codes are consumed by one conditional update;
/// redeeming a code, rotating a refresh token and revoking a person's grants each run in one
/// transaction that first locks the person's row (shared for the first two, exclusive for
/// revoking), so a revocation never misses a token that a parallel redeem or refresh is adding.
public struct PostgresOAuthStore: ClientStore, AccountStore, LoginCodeStore, GrantStore, SigningKeyStore {
    let database: PostgresAppDatabase

    /// A store in `database`.
    public init(_ database: PostgresAppDatabase) { self.database = database }

    // MARK: Clients

    public func client(id: String) async throws -> OAuthClient? {
        try await self.database.rows("SELECT id, name, redirect_uris, created_at FROM oauth_clients WHERE id = \(id)")
            .first.map(Self.client(from:))
    }

    public func client(metadataHash: String) async throws -> OAuthClient? {
        try await self.database.rows("SELECT id, name, redirect_uris, created_at FROM oauth_clients WHERE metadata_hash = \(metadataHash)")
            .first.map(Self.client(from:))
    }

    public func save(_ client: OAuthClient, metadataHash: String) async throws {
        let uris = String(decoding: try JSONEncoder().encode(client.redirectURIs), as: UTF8.self)
        try await self.database.rows(
            """
            INSERT INTO oauth_clients (id, metadata_hash, name, redirect_uris, created_at)
            VALUES (\(client.id), \(metadataHash), \(client.name), \(uris), \(client.createdAt.millisecondsSince1970))
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, redirect_uris = excluded.redirect_uris, created_at = excluded.created_at
            """
        )
    }

    private static func client(from row: PostgresRow) throws -> OAuthClient {
        let (id, name, uris, createdAt) = try row.decode((String, String, String, Int64).self)
        return OAuthClient(
            id: id,
            name: name,
            redirectURIs: try JSONDecoder().decode([String].self, from: Data(uris.utf8)),
            createdAt: Date(millisecondsSince1970: createdAt)
        )
    }

    // MARK: Accounts

    public func findOrCreateUser(email: String, at date: Date) async throws -> String {
        if let existing = try await self.user(email: email) { return existing }
        let candidate = "u_" + String(TodoID.random().rawValue.dropFirst(2))
        let now = date.millisecondsSince1970
        return try await self.database.transaction { transaction in
            try await transaction.rows("INSERT INTO users (id, created_at) VALUES (\(candidate), \(now))")
            let claimed = try await transaction.rows(
                """
                INSERT INTO user_emails (email, user_id, created_at) VALUES (\(email), \(candidate), \(now))
                ON CONFLICT ((lower(email))) DO NOTHING RETURNING user_id
                """
            )
            if !claimed.isEmpty { return candidate }
            // Another instance created the same person a moment ago: theirs stands.
            try await transaction.rows("DELETE FROM users WHERE id = \(candidate)")
            let existing = try await transaction.rows("SELECT user_id FROM user_emails WHERE lower(email) = lower(\(email))")
            guard let row = existing.first else { throw StorageError.corruptRow(table: "user_emails", id: email) }
            return try row.decode(String.self)
        }
    }

    /// The user who signs in with `email` (compared without regard to ASCII case), if any.
    public func user(email: String) async throws -> String? {
        try await self.database.rows("SELECT user_id FROM user_emails WHERE lower(email) = lower(\(email))")
            .first.map { try $0.decode(String.self) }
    }

    public func account(subject: String) async throws -> Account? {
        try await self.database.rows(
            """
            SELECT users.id, user_emails.email, users.created_at, users.session_generation
            FROM users JOIN user_emails ON user_emails.user_id = users.id
            WHERE users.id = \(subject) ORDER BY user_emails.created_at, user_emails.email LIMIT 1
            """
        ).first.map { row in
            let (id, email, createdAt, generation) = try row.decode((String, String, Int64, Int32).self)
            return Account(subject: id, email: email, createdAt: Date(millisecondsSince1970: createdAt), sessionGeneration: Int(generation))
        }
    }

    public func endSessions(subject: String) async throws {
        try await self.database.rows("UPDATE users SET session_generation = session_generation + 1 WHERE id = \(subject)")
    }

    public func deleteAccount(subject: String) async throws {
        try await self.database.transaction { transaction in
            // Login codes are kept by address; everything else goes with the user (ON DELETE CASCADE).
            try await transaction.rows(
                "DELETE FROM login_codes WHERE email IN (SELECT lower(email) FROM user_emails WHERE user_id = \(subject))"
            )
            try await transaction.rows("DELETE FROM users WHERE id = \(subject)")
        }
    }

    // MARK: Login codes

    public func replaceLoginCode(_ code: LoginCode) async throws {
        try await self.database.rows(
            """
            INSERT INTO login_codes (id, email, flow_id, code_hash, expires_at, attempts)
            VALUES (\(code.id), \(code.email), \(code.flowID), \(code.codeHash), \(code.expiresAt.millisecondsSince1970), \(Int32(clamping: code.attempts)))
            ON CONFLICT (email, flow_id) DO UPDATE SET id = excluded.id, code_hash = excluded.code_hash,
                expires_at = excluded.expires_at, attempts = excluded.attempts
            """
        )
    }

    public func countLoginCodeAttempt(email: String, flowID: String, at date: Date, maxAttempts: Int) async throws -> LoginCode? {
        try await self.database.rows(
            """
            UPDATE login_codes SET attempts = attempts + 1
            WHERE email = \(email) AND flow_id = \(flowID) AND expires_at > \(date.millisecondsSince1970)
                AND attempts < \(Int32(clamping: maxAttempts))
            RETURNING id, email, flow_id, code_hash, expires_at, attempts
            """
        ).first.map { row in
            let (id, email, flow, hash, expires, attempts) = try row.decode((String, String, String, String, Int64, Int32).self)
            return LoginCode(
                id: id,
                email: email,
                flowID: flow,
                codeHash: hash,
                expiresAt: Date(millisecondsSince1970: expires),
                attempts: Int(attempts)
            )
        }
    }

    public func deleteLoginCode(id: String) async throws -> Bool {
        try await !self.database.rows("DELETE FROM login_codes WHERE id = \(id) RETURNING 1").isEmpty
    }

    // MARK: Authorization codes and consent

    public func insertCode(_ code: AuthorizationCode) async throws {
        try await self.database.rows(
            """
            INSERT INTO authorization_codes
                (code_hash, client_id, user_id, redirect_uri, code_challenge, resource, scopes, expires_at, session_generation)
            VALUES (\(code.codeHash), \(code.clientID), \(code.subject), \(code.redirectURI), \(code.codeChallenge), \(code.resource),
                \(code.scopes.joined(separator: " ")), \(code.expiresAt.millisecondsSince1970), \(Int32(clamping: code.sessionGeneration)))
            """
        )
    }

    public func code(hash: String) async throws -> AuthorizationCode? {
        try await self.database.rows(
            """
            SELECT code_hash, client_id, user_id, redirect_uri, code_challenge, resource, scopes, expires_at, family_id, session_generation
            FROM authorization_codes WHERE code_hash = \(hash)
            """
        ).first.map { row in
            let (codeHash, client, subject, redirect, challenge, resource, scopes, expires, family, generation) = try row.decode(
                (String, String, String, String, String, String, String, Int64, String?, Int32).self
            )
            return AuthorizationCode(
                codeHash: codeHash,
                clientID: client,
                subject: subject,
                redirectURI: redirect,
                codeChallenge: challenge,
                resource: resource,
                scopes: Self.scopes(scopes),
                expiresAt: Date(millisecondsSince1970: expires),
                familyID: family,
                sessionGeneration: Int(generation)
            )
        }
    }

    public func redeemCode(hash: String, at date: Date, refreshToken: RefreshToken) async throws -> Bool {
        try await self.database.transaction { transaction in
            try await Self.lockPerson(subject: refreshToken.subject, exclusively: false, in: transaction)
            let redeemed = try await transaction.rows(
                """
                UPDATE authorization_codes SET used_at = \(date.millisecondsSince1970), family_id = \(refreshToken.familyID)
                WHERE code_hash = \(hash) AND used_at IS NULL
                AND EXISTS (SELECT 1 FROM consents
                    WHERE consents.user_id = authorization_codes.user_id AND consents.client_id = authorization_codes.client_id)
                AND session_generation = (SELECT session_generation FROM users WHERE users.id = authorization_codes.user_id)
                RETURNING 1
                """
            )
            guard redeemed.count == 1 else { return false }
            try await Self.insert(refreshToken, in: transaction)
            return true
        }
    }

    /// Locks the row of `subject`: shared by whatever adds a grant, exclusive for revoking them
    /// all, so that the two never interleave (see the type's documentation).
    private static func lockPerson(subject: String, exclusively: Bool, in transaction: PostgresAppDatabase.Transaction) async throws {
        if exclusively {
            try await transaction.rows("SELECT 1 FROM users WHERE id = \(subject) FOR UPDATE")
        } else {
            try await transaction.rows("SELECT 1 FROM users WHERE id = \(subject) FOR SHARE")
        }
    }

    public func hasConsent(subject: String, clientID: String, scopes: [String]) async throws -> Bool {
        let granted = try await self.database.rows("SELECT scopes FROM consents WHERE user_id = \(subject) AND client_id = \(clientID)")
            .first.map { try $0.decode(String.self) }
        guard let granted else { return false }
        return Set(scopes).isSubset(of: Self.scopes(granted))
    }

    public func recordConsent(subject: String, clientID: String, scopes: [String], at date: Date) async throws {
        // The union of the scopes approved before and now, sorted, in the statement itself, so
        // that two approvals at once both count.
        let now = date.millisecondsSince1970
        try await self.database.rows(
            """
            INSERT INTO consents (user_id, client_id, scopes, granted_at, first_granted_at)
            VALUES (\(subject), \(clientID), \(Set(scopes).sorted().joined(separator: " ")), \(now), \(now))
            ON CONFLICT (user_id, client_id) DO UPDATE SET granted_at = excluded.granted_at, scopes = (
                SELECT coalesce(string_agg(scope, ' ' ORDER BY scope COLLATE "C"), '') FROM (
                    SELECT DISTINCT unnest(string_to_array(consents.scopes || ' ' || excluded.scopes, ' ')) AS scope
                ) AS approved WHERE scope <> ''
            )
            """
        )
    }

    // MARK: Refresh tokens

    public func refreshToken(hash: String) async throws -> RefreshToken? {
        try await self.database.rows("SELECT \(unescaped: Self.refreshColumns) FROM refresh_tokens WHERE token_hash = \(hash)")
            .first.map(Self.refreshToken(from:))
    }

    public func exchangeRefreshToken(
        hash: String,
        at date: Date,
        decide: @Sendable (_ token: RefreshToken?, _ successor: RefreshToken?) -> RefreshDecision
    ) async throws -> RefreshDecision {
        let now = date.millisecondsSince1970
        return try await self.database.transaction { transaction in
            let owner = try await transaction.rows("SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = \(hash)").first
                .map { try $0.decode((String, String).self) }
            if let (subject, family) = owner {
                try await Self.lockPerson(subject: subject, exclusively: false, in: transaction)
                // Every rotation and revocation of one family runs alone: a revocation never misses
                // a token that a parallel rotation is adding, and siblings never lock each other.
                try await Self.lockFamily(family, in: transaction)
            }
            // Parallel refreshes of one token on any instance queue here, each seeing what the one before did.
            let token = try await transaction.rows(
                "SELECT \(unescaped: Self.refreshColumns) FROM refresh_tokens WHERE token_hash = \(hash) FOR UPDATE"
            ).first.map(Self.refreshToken(from:))
            var successor: RefreshToken?
            if let next = token?.successorHash {
                successor = try await transaction.rows("SELECT \(unescaped: Self.refreshColumns) FROM refresh_tokens WHERE token_hash = \(next)")
                    .first.map(Self.refreshToken(from:))
            }
            let decision = decide(token, successor)
            switch decision {
            case .rotate(let successor):
                try await transaction.rows(
                    """
                    UPDATE refresh_tokens SET rotated_at = coalesce(rotated_at, \(now)), successor_hash = \(successor.tokenHash)
                    WHERE token_hash = \(hash)
                    """
                )
                // The first use of one of several tokens from one parent: its siblings are done.
                if let token, token.rotatedAt == nil, let parent = token.parentHash {
                    try await transaction.rows(
                        """
                        UPDATE refresh_tokens SET rotated_at = \(now), successor_hash = \(successor.tokenHash)
                        WHERE parent_hash = \(parent) AND token_hash <> \(hash) AND rotated_at IS NULL
                        """
                    )
                }
                try await Self.insert(successor, in: transaction)
            case .revokeFamily(let family):
                try await transaction.rows("UPDATE refresh_tokens SET revoked_at = \(now) WHERE family_id = \(family) AND revoked_at IS NULL")
            case .reject:
                break
            }
            return decision
        }
    }

    public func revokeFamily(_ familyID: String, at date: Date) async throws {
        try await self.database.transaction { transaction in
            try await Self.lockFamily(familyID, in: transaction)
            try await transaction.rows(
                "UPDATE refresh_tokens SET revoked_at = \(date.millisecondsSince1970) WHERE family_id = \(familyID) AND revoked_at IS NULL"
            )
        }
    }

    /// Takes the advisory lock of a refresh-token family until the transaction ends.
    private static func lockFamily(_ familyID: String, in transaction: PostgresAppDatabase.Transaction) async throws {
        try await transaction.rows("SELECT pg_advisory_xact_lock(hashtextextended(\(familyID), \(PostgresAppDatabase.familyLockSeed)))")
    }

    private static func insert(_ token: RefreshToken, in transaction: PostgresAppDatabase.Transaction) async throws {
        try await transaction.rows(
            """
            INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, resource, scopes, issued_at, expires_at, parent_hash)
            VALUES (\(token.tokenHash), \(token.familyID), \(token.clientID), \(token.subject), \(token.resource),
                \(token.scopes.joined(separator: " ")), \(token.issuedAt.millisecondsSince1970), \(token.expiresAt.millisecondsSince1970),
                \(token.parentHash))
            """
        )
    }

    private static let refreshColumns = """
        token_hash, family_id, client_id, user_id, resource, scopes, issued_at, expires_at, rotated_at, revoked_at, successor_hash, parent_hash
        """

    private static func refreshToken(from row: PostgresRow) throws -> RefreshToken {
        let (hash, family, client, subject, resource, scopes, issued, expires, rotated, revoked, successor, parent) = try row.decode(
            (String, String, String, String, String, String, Int64, Int64, Int64?, Int64?, String?, String?).self
        )
        return RefreshToken(
            tokenHash: hash,
            familyID: family,
            clientID: client,
            subject: subject,
            resource: resource,
            scopes: Self.scopes(scopes),
            issuedAt: Date(millisecondsSince1970: issued),
            expiresAt: Date(millisecondsSince1970: expires),
            rotatedAt: rotated.map(Date.init(millisecondsSince1970:)),
            successorHash: successor,
            parentHash: parent,
            revokedAt: revoked.map(Date.init(millisecondsSince1970:))
        )
    }

    static func scopes(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    // MARK: Connected apps

    public func connections(subject: String, at date: Date) async throws -> [AppConnection] {
        try await self.database.rows(
            """
            SELECT consents.client_id, consents.scopes, coalesce(consents.first_granted_at, consents.granted_at),
                (SELECT max(issued_at) FROM refresh_tokens
                    WHERE user_id = consents.user_id AND client_id = consents.client_id),
                EXISTS (SELECT 1 FROM refresh_tokens
                    WHERE user_id = consents.user_id AND client_id = consents.client_id
                    AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > \(date.millisecondsSince1970))
            FROM consents WHERE consents.user_id = \(subject)
            ORDER BY 3, 1
            """
        ).map { row in
            let (client, scopes, first, lastUsed, signedIn) = try row.decode((String, String, Int64, Int64?, Bool).self)
            return AppConnection(
                clientID: client,
                scopes: Self.scopes(scopes),
                firstAuthorizedAt: Date(millisecondsSince1970: first),
                lastUsedAt: lastUsed.map(Date.init(millisecondsSince1970:)),
                isSignedIn: signedIn
            )
        }
    }

    public func revokeGrants(subject: String, clientID: String?, forgetConsent: Bool, at date: Date) async throws -> [String] {
        let now = date.millisecondsSince1970
        return try await self.database.transaction { transaction in
            // Grants that a redeem or refresh is adding right now are committed before this goes on.
            try await Self.lockPerson(subject: subject, exclusively: true, in: transaction)
            // Every family, expired or not: an access token may outlive its refresh token. `NULL`
            // as the client matches every client.
            let families = try await transaction.rows(
                """
                SELECT DISTINCT family_id FROM refresh_tokens
                WHERE user_id = \(subject) AND (\(clientID)::text IS NULL OR client_id = \(clientID)) ORDER BY 1
                """
            ).map { try $0.decode(String.self) }
            try await transaction.rows(
                """
                UPDATE refresh_tokens SET revoked_at = \(now)
                WHERE user_id = \(subject) AND revoked_at IS NULL AND (\(clientID)::text IS NULL OR client_id = \(clientID))
                """
            )
            try await transaction.rows(
                """
                UPDATE authorization_codes SET used_at = \(now)
                WHERE user_id = \(subject) AND used_at IS NULL AND (\(clientID)::text IS NULL OR client_id = \(clientID))
                """
            )
            if forgetConsent {
                try await transaction.rows(
                    "DELETE FROM consents WHERE user_id = \(subject) AND (\(clientID)::text IS NULL OR client_id = \(clientID))"
                )
            }
            return families
        }
    }

    // MARK: Signing keys and revoked access tokens

    public func signingKeys(creatingWith makeKey: @Sendable () -> SigningKey) async throws -> [SigningKey] {
        // Read first: the server reads the ring every few seconds, and only the first start writes.
        let existing = try await self.database.rows("SELECT id, secret, created_at FROM signing_keys ORDER BY created_at, id")
            .map(Self.signingKey(from:))
        if !existing.isEmpty { return existing }
        return try await self.database.transaction { transaction in
            // Instances starting together make one key, not one each.
            try await transaction.rows("SELECT pg_advisory_xact_lock(\(PostgresAppDatabase.signingKeyLock))")
            var keys = try await transaction.rows("SELECT id, secret, created_at FROM signing_keys ORDER BY created_at, id")
                .map(Self.signingKey(from:))
            if keys.isEmpty {
                let key = makeKey()
                try await transaction.rows(
                    """
                    INSERT INTO signing_keys (id, secret, created_at)
                    VALUES (\(key.id), \(ByteBuffer(bytes: key.secret)), \(key.createdAt.millisecondsSince1970))
                    """
                )
                try await transaction.notify(.revocations)  // "read the key ring again", to instances already running
                keys = [key]
            }
            return keys
        }
    }

    private static func signingKey(from row: PostgresRow) throws -> SigningKey {
        let (id, secret, createdAt) = try row.decode((String, ByteBuffer, Int64).self)
        return SigningKey(id: id, secret: Array(secret.readableBytesView), createdAt: Date(millisecondsSince1970: createdAt))
    }

    public func revokeAccessToken(id: String, expiresAt: Date) async throws {
        try await self.database.transaction { transaction in
            try await transaction.rows(
                """
                INSERT INTO revoked_access_tokens (token_id, expires_at) VALUES (\(id), \(expiresAt.millisecondsSince1970))
                ON CONFLICT (token_id) DO UPDATE SET expires_at = excluded.expires_at
                """
            )
            try await transaction.notify(.revocations)
        }
    }

    public func revokedAccessTokens(at date: Date) async throws -> [String: Date] {
        try await self.unexpired(
            "SELECT token_id, expires_at FROM revoked_access_tokens WHERE expires_at > \(date.millisecondsSince1970)"
        )
    }

    public func revokeGrant(id: String, expiresAt: Date) async throws {
        try await self.database.transaction { transaction in
            try await transaction.rows(
                """
                INSERT INTO revoked_grants (grant_id, expires_at) VALUES (\(id), \(expiresAt.millisecondsSince1970))
                ON CONFLICT (grant_id) DO UPDATE SET expires_at = greatest(revoked_grants.expires_at, excluded.expires_at)
                """
            )
            try await transaction.notify(.revocations)
        }
    }

    public func revokedGrants(at date: Date) async throws -> [String: Date] {
        try await self.unexpired("SELECT grant_id, expires_at FROM revoked_grants WHERE expires_at > \(date.millisecondsSince1970)")
    }

    /// Ids and expiry times from a query of two columns.
    private func unexpired(_ query: PostgresQuery) async throws -> [String: Date] {
        var entries: [String: Date] = [:]
        for row in try await self.database.rows(query) {
            let (id, expires) = try row.decode((String, Int64).self)
            entries[id] = Date(millisecondsSince1970: expires)
        }
        return entries
    }
}
