public import Foundation

/// Registered clients.
public protocol ClientStore: Sendable {
    /// The client registered with `id`, or `nil` when there is none.
    func client(id: String) async throws -> OAuthClient?
    /// The client registered earlier with the same metadata, so that repeated registrations do not pile up.
    func client(metadataHash: String) async throws -> OAuthClient?
    /// Stores a client, or updates the name, redirect URIs and creation time of the one with its id
    /// (a metadata-document client is saved again each time its document is fetched, which keeps
    /// cleanup from removing it while it is in use).
    func save(_ client: OAuthClient, metadataHash: String) async throws
}

/// The people who log in.
public protocol AccountStore: Sendable {
    /// The subject (user id) who logs in with `email`, created on first login.
    func findOrCreateUser(email: String, at date: Date) async throws -> String
    /// The account of `subject`, or `nil` when there is none (any more).
    func account(subject: String) async throws -> Account?
    /// Raises the session generation of `subject`, which ends every browser session issued before.
    func endSessions(subject: String) async throws
    /// Deletes the account of `subject` and everything the authorization server keeps of it: its
    /// e-mail addresses, consents, authorization codes, refresh tokens and pending login codes.
    func deleteAccount(subject: String) async throws
}

/// A person who signs in.
public struct Account: Hashable, Sendable {
    /// The user id that tokens carry.
    public var subject: String
    /// The e-mail address they sign in with.
    public var email: String
    /// When they first signed in.
    public var createdAt: Date
    /// Raised by "Sign out everywhere": a browser session of an older generation is over.
    public var sessionGeneration: Int

    /// Makes an account.
    public init(subject: String, email: String, createdAt: Date, sessionGeneration: Int) {
        self.subject = subject
        self.email = email
        self.createdAt = createdAt
        self.sessionGeneration = sessionGeneration
    }
}

/// A client a person approved, as the account page shows it.
public struct AppConnection: Hashable, Sendable {
    /// The client's id.
    public var clientID: String
    /// Every scope the person approved for it.
    public var scopes: [String]
    /// When the person first approved it.
    public var firstAuthorizedAt: Date
    /// When it last got tokens (signing in or refreshing); `nil` when none are kept any more.
    public var lastUsedAt: Date?
    /// Whether it holds a refresh token that still works.
    public var isSignedIn: Bool

    /// Makes a connection.
    public init(clientID: String, scopes: [String], firstAuthorizedAt: Date, lastUsedAt: Date?, isSignedIn: Bool) {
        self.clientID = clientID
        self.scopes = scopes
        self.firstAuthorizedAt = firstAuthorizedAt
        self.lastUsedAt = lastUsedAt
        self.isSignedIn = isSignedIn
    }
}

/// A login code waiting to be typed in: stored only as a hash, and bound to the sign-in flow (the
/// browser) that asked for it, so that guesses from anywhere else never touch it.
public struct LoginCode: Hashable, Sendable {
    /// A random id, so that the code can be deleted once it is used up.
    public var id: String
    /// The e-mail address, lowercased.
    public var email: String
    /// The sign-in flow that asked for the code: a keyed hash of the browser's flow cookie.
    public var flowID: String
    /// A keyed hash (HMAC-SHA256 with the signing key) of the e-mail address and the code: the code itself is never stored.
    public var codeHash: String
    /// When the code stops being accepted.
    public var expiresAt: Date
    /// Tries so far, right or wrong.
    public var attempts: Int

    /// Makes a code with no tries counted yet.
    public init(id: String, email: String, flowID: String, codeHash: String, expiresAt: Date, attempts: Int = 0) {
        self.id = id
        self.email = email
        self.flowID = flowID
        self.codeHash = codeHash
        self.expiresAt = expiresAt
        self.attempts = attempts
    }
}

/// Login codes.
public protocol LoginCodeStore: Sendable {
    /// Stores `code`, replacing any earlier code of the same e-mail address and flow.
    func replaceLoginCode(_ code: LoginCode) async throws
    /// In one conditional update: counts one try of the unexpired code of `email` and `flowID`, if
    /// it has had fewer than `maxAttempts`, and returns it as counted; `nil` when there is no such
    /// code or its tries are used up. Parallel tries can therefore never exceed `maxAttempts`.
    func countLoginCodeAttempt(email: String, flowID: String, at date: Date, maxAttempts: Int) async throws -> LoginCode?
    /// Deletes the code; returns whether it was there, so that only one try can consume it.
    func deleteLoginCode(id: String) async throws -> Bool
}

/// An authorization code, stored only as a hash, bound to everything the token request must repeat.
public struct AuthorizationCode: Hashable, Sendable {
    /// The SHA-256 of the code handed to the client, which is never stored itself.
    public var codeHash: String
    /// The client the code was issued to: only that client can redeem it.
    public var clientID: String
    /// The user who signed in and approved.
    public var subject: String
    /// The redirect URI of the authorization request, which the token request must repeat exactly.
    public var redirectURI: String
    /// The PKCE challenge (S256) that the token request's code verifier must hash to.
    public var codeChallenge: String
    /// The resource (audience) the tokens issued for this code are for.
    public var resource: String
    /// The scopes the user approved.
    public var scopes: [String]
    /// When the code stops being accepted.
    public var expiresAt: Date
    /// The refresh-token family issued when the code was redeemed; `nil` while unused.
    public var familyID: String?
    /// The account's session generation when the code was issued (see ``Account/sessionGeneration``).
    public var sessionGeneration: Int

    /// Makes an unused code; `familyID` is set by the store when the code is redeemed.
    public init(
        codeHash: String,
        clientID: String,
        subject: String,
        redirectURI: String,
        codeChallenge: String,
        resource: String,
        scopes: [String],
        expiresAt: Date,
        familyID: String? = nil,
        sessionGeneration: Int = 0
    ) {
        self.codeHash = codeHash
        self.clientID = clientID
        self.subject = subject
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
        self.resource = resource
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.familyID = familyID
        self.sessionGeneration = sessionGeneration
    }
}

/// A refresh token, stored only as its SHA-256.
public struct RefreshToken: Hashable, Sendable {
    /// The SHA-256 of the token handed to the client, which is never stored itself.
    public var tokenHash: String
    /// Every token descended from one authorization shares a family; reuse of a stale token revokes it.
    public var familyID: String
    /// The client the token was issued to: only that client can use it.
    public var clientID: String
    /// The user the token acts for.
    public var subject: String
    /// The resource (audience) of the access tokens it is exchanged for.
    public var resource: String
    /// The scopes granted; a refresh may ask for fewer, never more.
    public var scopes: [String]
    /// When the token was issued.
    public var issuedAt: Date
    /// When the token stops being accepted.
    public var expiresAt: Date
    /// When this token was exchanged for a newer one.
    public var rotatedAt: Date?
    /// The hash of the token that replaced this one, once it was rotated (the latest, when the
    /// grace for concurrent refreshes handed out more than one).
    public var successorHash: String?
    /// The hash of the token this one replaced; `nil` for the first of a family.
    public var parentHash: String?
    /// When the token's family was revoked; `nil` while it is valid.
    public var revokedAt: Date?

    /// Makes a token; a new one is neither rotated nor revoked, so those fields are usually left out.
    public init(
        tokenHash: String,
        familyID: String,
        clientID: String,
        subject: String,
        resource: String,
        scopes: [String],
        issuedAt: Date,
        expiresAt: Date,
        rotatedAt: Date? = nil,
        successorHash: String? = nil,
        parentHash: String? = nil,
        revokedAt: Date? = nil
    ) {
        self.tokenHash = tokenHash
        self.familyID = familyID
        self.clientID = clientID
        self.subject = subject
        self.resource = resource
        self.scopes = scopes
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.rotatedAt = rotatedAt
        self.successorHash = successorHash
        self.parentHash = parentHash
        self.revokedAt = revokedAt
    }
}

/// What to do with a presented refresh token, decided inside the store's transaction.
public enum RefreshDecision: Sendable {
    /// Mark the presented token rotated (keeping the first rotation time), record its successor
    /// and store it. When the presented token is used for the first time, the other unused tokens
    /// issued from its parent (by the grace for concurrent refreshes) are marked rotated into the
    /// new one: the client went on with this branch, so the others are replays from now on, and a
    /// family never keeps two live branches.
    case rotate(successor: RefreshToken)
    /// The token was replayed outside its grace: revoke its whole family.
    case revokeFamily(String)
    /// Refuse without changing anything.
    case reject
}

/// Authorization codes, consents and refresh tokens.
public protocol GrantStore: Sendable {
    /// Stores a newly issued code, unused.
    func insertCode(_ code: AuthorizationCode) async throws
    /// The code with the SHA-256 `hash`, used or not (a used one has a `familyID`), or `nil` when there is none.
    func code(hash: String) async throws -> AuthorizationCode?
    /// In one transaction: marks the code used, if it was unused, its client is still approved by
    /// its subject and the subject's session generation is still the code's, and stores `refreshToken`.
    /// - Returns: whether the code was redeemed.
    func redeemCode(hash: String, at date: Date, refreshToken: RefreshToken) async throws -> Bool

    /// Whether the user has already approved every scope in `scopes` for the client, so that the consent page can be skipped.
    func hasConsent(subject: String, clientID: String, scopes: [String]) async throws -> Bool
    /// Records that the user approved `scopes` for the client, adding them to the scopes approved before.
    func recordConsent(subject: String, clientID: String, scopes: [String], at date: Date) async throws

    /// The refresh token with the SHA-256 `hash`, whatever its state, or `nil` when there is none.
    func refreshToken(hash: String) async throws -> RefreshToken?
    /// In one transaction: reads the token with `hash` and the token that replaced it (if it was
    /// rotated), asks `decide`, and carries out the decision.
    func exchangeRefreshToken(
        hash: String,
        at date: Date,
        decide: @Sendable (_ token: RefreshToken?, _ successor: RefreshToken?) -> RefreshDecision
    ) async throws -> RefreshDecision
    /// Revokes every refresh token of the family that is not revoked yet.
    func revokeFamily(_ familyID: String, at date: Date) async throws

    /// The clients `subject` approved, oldest approval first.
    func connections(subject: String, at date: Date) async throws -> [AppConnection]
    /// In one transaction: revokes every refresh token `subject` holds for the client (every
    /// client when `clientID` is `nil`), uses up their unused authorization codes, and, when
    /// `forgetConsent` is set, forgets what the person approved for the client.
    /// - Returns: the grants (refresh-token families) that may still have live access tokens, so
    ///   that those can be refused too.
    func revokeGrants(subject: String, clientID: String?, forgetConsent: Bool, at date: Date) async throws -> [String]
}

/// The keys that sign access tokens, and access tokens revoked before they expire.
public protocol SigningKeyStore: Sendable {
    /// The keys in use, oldest first; creates one with `makeKey` when there is none yet.
    func signingKeys(creatingWith makeKey: @Sendable () -> SigningKey) async throws -> [SigningKey]
    /// Records a revoked access token until it would have expired anyway.
    func revokeAccessToken(id: String, expiresAt: Date) async throws
    /// The ids of revoked access tokens that have not expired.
    func revokedAccessTokens(at date: Date) async throws -> [String: Date]
    /// Records that every access token of the grant `id` is refused until `expiresAt`.
    func revokeGrant(id: String, expiresAt: Date) async throws
    /// The ids of revoked grants whose access tokens may not have expired yet.
    func revokedGrants(at date: Date) async throws -> [String: Date]
}

/// A key that signs access tokens.
public struct SigningKey: Hashable, Sendable {
    /// The key id, carried in each token so that the right key of the ring verifies it.
    public var id: String
    /// The HMAC-SHA256 key material.
    public var secret: [UInt8]
    /// When the key was made; keys from configuration carry the start of 1970.
    public var createdAt: Date

    /// Makes a key from its id and secret.
    public init(id: String, secret: [UInt8], createdAt: Date) {
        self.id = id
        self.secret = secret
        self.createdAt = createdAt
    }
}
