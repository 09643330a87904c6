public import Foundation
import NIOConcurrencyHelpers

/// Everything an authorization server keeps, as one store.
public typealias OAuthStore = AccountStore & ClientStore & GrantStore & LoginCodeStore & SigningKeyStore

/// An ``OAuthStore`` in memory, for tests and prototypes: everything is lost when the process
/// ends, and nothing expires before (expired rows are not purged, and lookups scan), so a
/// long-running public server wants a database store. It keeps the same rules as a database store: login-code tries are counted atomically, a
/// code is redeemed once, refresh-token decisions are taken under one lock.
public final class InMemoryOAuthStore: OAuthStore {
    private struct State {
        var clients: [String: (client: OAuthClient, metadataHash: String)] = [:]
        var users: [String: String] = [:]
        var accounts: [String: Account] = [:]
        var loginCodes: [String: LoginCode] = [:]
        var codes: [String: (code: AuthorizationCode, used: Bool)] = [:]
        /// Approved scopes and the first approval, by subject and client.
        var consents: [String: [String: (scopes: Set<String>, firstGrantedAt: Date)]] = [:]
        var refreshTokens: [String: RefreshToken] = [:]
        var keys: [SigningKey] = []
        var revokedAccessTokens: [String: Date] = [:]
        var revokedGrants: [String: Date] = [:]
    }

    // A pthread lock, which ThreadSanitizer follows; `Mutex` waits under contention in code it cannot see.
    private let state = NIOLockedValueBox(State())

    /// An empty store.
    public init() {}

    /// What the store holds at one moment, for tests and inspection.
    public struct Snapshot: Sendable {
        /// Subjects by e-mail address.
        public var users: [String: String]
        /// Login codes waiting to be typed in.
        public var loginCodes: [LoginCode]
        /// Refresh tokens, used or not.
        public var refreshTokens: [RefreshToken]
    }

    /// What the store holds now.
    public var snapshot: Snapshot {
        self.state.withLockedValue { state in
            Snapshot(users: state.users, loginCodes: Array(state.loginCodes.values), refreshTokens: Array(state.refreshTokens.values))
        }
    }

    // MARK: Clients

    public func client(id: String) async throws -> OAuthClient? {
        self.state.withLockedValue { $0.clients[id]?.client }
    }

    public func client(metadataHash: String) async throws -> OAuthClient? {
        self.state.withLockedValue { state in state.clients.values.first { $0.metadataHash == metadataHash }?.client }
    }

    public func save(_ client: OAuthClient, metadataHash: String) async throws {
        self.state.withLockedValue { state in
            state.clients[client.id] = (client, state.clients[client.id]?.metadataHash ?? metadataHash)
        }
    }

    // MARK: Accounts

    public func findOrCreateUser(email: String, at date: Date) async throws -> String {
        self.state.withLockedValue { state in
            if let subject = state.users[email] { return subject }
            let subject = "u_" + UUID().uuidString.lowercased()
            state.users[email] = subject
            state.accounts[subject] = Account(subject: subject, email: email, createdAt: date, sessionGeneration: 0)
            return subject
        }
    }

    public func account(subject: String) async throws -> Account? {
        self.state.withLockedValue { $0.accounts[subject] }
    }

    public func endSessions(subject: String) async throws {
        self.state.withLockedValue { $0.accounts[subject]?.sessionGeneration += 1 }
    }

    public func deleteAccount(subject: String) async throws {
        self.state.withLockedValue { state in
            guard let account = state.accounts.removeValue(forKey: subject) else { return }
            state.users = state.users.filter { $0.value != subject }
            state.loginCodes = state.loginCodes.filter { $0.value.email != account.email }
            state.codes = state.codes.filter { $0.value.code.subject != subject }
            state.consents[subject] = nil
            state.refreshTokens = state.refreshTokens.filter { $0.value.subject != subject }
        }
    }

    // MARK: Login codes

    private static func loginCodeKey(_ email: String, _ flowID: String) -> String { email + "\n" + flowID }

    public func replaceLoginCode(_ code: LoginCode) async throws {
        self.state.withLockedValue { $0.loginCodes[Self.loginCodeKey(code.email, code.flowID)] = code }
    }

    public func countLoginCodeAttempt(email: String, flowID: String, at date: Date, maxAttempts: Int) async throws -> LoginCode? {
        self.state.withLockedValue { state in
            let key = Self.loginCodeKey(email, flowID)
            guard var code = state.loginCodes[key], code.expiresAt > date, code.attempts < maxAttempts else { return nil }
            code.attempts += 1
            state.loginCodes[key] = code
            return code
        }
    }

    public func deleteLoginCode(id: String) async throws -> Bool {
        self.state.withLockedValue { state in
            guard let key = state.loginCodes.first(where: { $0.value.id == id })?.key else { return false }
            state.loginCodes[key] = nil
            return true
        }
    }

    // MARK: Authorization codes and consent

    public func insertCode(_ code: AuthorizationCode) async throws {
        self.state.withLockedValue { $0.codes[code.codeHash] = (code, false) }
    }

    public func code(hash: String) async throws -> AuthorizationCode? {
        self.state.withLockedValue { $0.codes[hash]?.code }
    }

    public func redeemCode(hash: String, at date: Date, refreshToken: RefreshToken) async throws -> Bool {
        self.state.withLockedValue { state in
            guard var entry = state.codes[hash], !entry.used,
                state.consents[entry.code.subject]?[entry.code.clientID] != nil,
                state.accounts[entry.code.subject]?.sessionGeneration == entry.code.sessionGeneration
            else { return false }
            entry.used = true
            entry.code.familyID = refreshToken.familyID
            state.codes[hash] = entry
            state.refreshTokens[refreshToken.tokenHash] = refreshToken
            return true
        }
    }

    public func hasConsent(subject: String, clientID: String, scopes: [String]) async throws -> Bool {
        self.state.withLockedValue { state in
            state.consents[subject]?[clientID].map { Set(scopes).isSubset(of: $0.scopes) } ?? false
        }
    }

    public func recordConsent(subject: String, clientID: String, scopes: [String], at date: Date) async throws {
        self.state.withLockedValue { state in
            let earlier = state.consents[subject]?[clientID]
            state.consents[subject, default: [:]][clientID] = (
                (earlier?.scopes ?? []).union(scopes), earlier?.firstGrantedAt ?? date
            )
        }
    }

    public func connections(subject: String, at date: Date) async throws -> [AppConnection] {
        self.state.withLockedValue { state in
            (state.consents[subject] ?? [:]).map { clientID, consent in
                let tokens = state.refreshTokens.values.filter { $0.subject == subject && $0.clientID == clientID }
                return AppConnection(
                    clientID: clientID,
                    scopes: consent.scopes.sorted(),
                    firstAuthorizedAt: consent.firstGrantedAt,
                    lastUsedAt: tokens.map(\.issuedAt).max(),
                    isSignedIn: tokens.contains { $0.revokedAt == nil && $0.rotatedAt == nil && $0.expiresAt > date }
                )
            }
            .sorted { ($0.firstAuthorizedAt, $0.clientID) < ($1.firstAuthorizedAt, $1.clientID) }
        }
    }

    public func revokeGrants(subject: String, clientID: String?, forgetConsent: Bool, at date: Date) async throws -> [String] {
        self.state.withLockedValue { state in
            let matches = { (owner: String, client: String) in owner == subject && (clientID == nil || client == clientID) }
            var families: Set<String> = []
            // Every family, expired or not: an access token may outlive its refresh token.
            for (hash, var token) in state.refreshTokens where matches(token.subject, token.clientID) {
                families.insert(token.familyID)
                if token.revokedAt == nil {
                    token.revokedAt = date
                    state.refreshTokens[hash] = token
                }
            }
            for (hash, var entry) in state.codes where matches(entry.code.subject, entry.code.clientID) && !entry.used {
                entry.used = true
                state.codes[hash] = entry
            }
            if forgetConsent {
                if let clientID { state.consents[subject]?[clientID] = nil } else { state.consents[subject] = nil }
            }
            return families.sorted()
        }
    }

    // MARK: Refresh tokens

    public func refreshToken(hash: String) async throws -> RefreshToken? {
        self.state.withLockedValue { $0.refreshTokens[hash] }
    }

    public func exchangeRefreshToken(
        hash: String,
        at date: Date,
        decide: @Sendable (_ token: RefreshToken?, _ successor: RefreshToken?) -> RefreshDecision
    ) async throws -> RefreshDecision {
        self.state.withLockedValue { state in
            let token = state.refreshTokens[hash]
            let decision = decide(token, token?.successorHash.flatMap { state.refreshTokens[$0] })
            switch decision {
            case .rotate(let successor):
                guard let token else { break }
                var rotated = token
                rotated.rotatedAt = token.rotatedAt ?? date
                rotated.successorHash = successor.tokenHash
                state.refreshTokens[hash] = rotated
                // The first use of one of several tokens from one parent: its siblings are done.
                if token.rotatedAt == nil, let parent = token.parentHash {
                    for (siblingHash, var sibling) in state.refreshTokens
                    where sibling.parentHash == parent && siblingHash != hash && sibling.rotatedAt == nil {
                        sibling.rotatedAt = date
                        sibling.successorHash = successor.tokenHash
                        state.refreshTokens[siblingHash] = sibling
                    }
                }
                state.refreshTokens[successor.tokenHash] = successor
            case .revokeFamily(let family):
                Self.revokeFamily(family, at: date, in: &state)
            case .reject:
                break
            }
            return decision
        }
    }

    public func revokeFamily(_ familyID: String, at date: Date) async throws {
        self.state.withLockedValue { Self.revokeFamily(familyID, at: date, in: &$0) }
    }

    private static func revokeFamily(_ familyID: String, at date: Date, in state: inout State) {
        for (hash, var token) in state.refreshTokens where token.familyID == familyID && token.revokedAt == nil {
            token.revokedAt = date
            state.refreshTokens[hash] = token
        }
    }

    // MARK: Signing keys and revocations

    public func signingKeys(creatingWith makeKey: @Sendable () -> SigningKey) async throws -> [SigningKey] {
        self.state.withLockedValue { state in
            if state.keys.isEmpty { state.keys.append(makeKey()) }
            return state.keys
        }
    }

    /// Adds a signing key, which signs from the server's next ``AuthorizationServer/reloadFromStores()``.
    public func addSigningKey(_ key: SigningKey) {
        self.state.withLockedValue { $0.keys.append(key) }
    }

    public func revokeAccessToken(id: String, expiresAt: Date) async throws {
        self.state.withLockedValue { $0.revokedAccessTokens[id] = expiresAt }
    }

    public func revokedAccessTokens(at date: Date) async throws -> [String: Date] {
        self.state.withLockedValue { $0.revokedAccessTokens.filter { $0.value > date } }
    }

    public func revokeGrant(id: String, expiresAt: Date) async throws {
        self.state.withLockedValue { state in state.revokedGrants[id] = max(state.revokedGrants[id] ?? expiresAt, expiresAt) }
    }

    public func revokedGrants(at date: Date) async throws -> [String: Date] {
        self.state.withLockedValue { $0.revokedGrants.filter { $0.value > date } }
    }
}
