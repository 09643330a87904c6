import Crypto
import EndpointCore
package import Foundation

/// What an access token says: who, for which resource, with which scopes, until when.
public struct AccessTokenClaims: Hashable, Sendable {
    /// A unique id, so that one token can be revoked.
    public var id: String
    /// The access token's subject: the user it was issued to.
    public var subject: String
    /// The resource the token is for (``OAuthConfiguration/resource``); verification refuses it anywhere else.
    public var audience: String
    /// The scopes the token grants.
    public var scopes: [String]
    /// Seconds since 1970.
    public var expiresAt: Int64
    /// The grant (refresh-token family) the token was issued from: revoking the grant refuses it.
    public var grantID: String

    /// The claims as signed: one per line (no claim holds a line break), so verifying a token
    /// needs no JSON decoder on the request path.
    var compactForm: String {
        [self.id, self.subject, self.audience, self.scopes.joined(separator: " "), String(self.expiresAt), self.grantID]
            .joined(separator: "\n")
    }

    /// The claims of their compact form, as UTF-8 bytes (split as bytes: this runs on every request).
    init?(compactForm: [UInt8]) {
        let lines = compactForm.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard lines.count == 6, let expiresAt = Int64(String(decoding: lines[4], as: UTF8.self)) else { return nil }
        func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
        self.init(
            id: text(lines[0]),
            subject: text(lines[1]),
            audience: text(lines[2]),
            scopes: lines[3].split(separator: UInt8(ascii: " ")).map(text),
            expiresAt: expiresAt,
            grantID: text(lines[5])
        )
    }

    /// Makes the claims of a token to sign.
    public init(id: String, subject: String, audience: String, scopes: [String], expiresAt: Int64, grantID: String) {
        self.id = id
        self.subject = subject
        self.audience = audience
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.grantID = grantID
    }
}

/// Signs and verifies access tokens: stateless, HMAC-SHA256 over key id and claims.
///
/// A token reads `at1.<key id>.<claims>.<mac>` with base64url parts. The newest key signs; every key
/// in the ring verifies, so keys rotate without logging anyone out. Verification needs no database:
/// revoked tokens and revoked grants are held in memory until their tokens would have expired.
package final class AccessTokenAuthority: Sendable {
    /// The key ring: every key verifies, the newest signs, and the oldest keys the hashes of login
    /// codes (so that a rotation does not void the codes on their way).
    private struct Ring {
        var keys: [String: SymmetricKey]
        /// An HMAC already keyed with each key: a copy of one only needs the message, which saves
        /// the key setup (two hash blocks) on every request.
        var verifiers: [String: HMAC<SHA256>]
        var signingKeyID: String
        var hashKey: SymmetricKey

        init(_ keys: [SigningKey]) {
            self.keys = Dictionary(keys.map { ($0.id, SymmetricKey(data: $0.secret)) }, uniquingKeysWith: { _, last in last })
            self.verifiers = self.keys.mapValues { HMAC<SHA256>(key: $0) }
            self.signingKeyID = keys.last!.id
            self.hashKey = SymmetricKey(data: keys.first!.secret)
        }

        var signingKey: SymmetricKey { self.keys[self.signingKeyID]! }
    }

    private let ring: Locked<Ring>
    private var current: Ring { self.ring.withLock { $0 } }
    private let revoked: Locked<[String: Date]>
    private let revokedGrants: Locked<[String: Date]>

    /// An authority over the key ring `keys`, knowing the revocations made so far.
    /// - Parameters:
    ///   - keys: the key ring, oldest first; the last one signs.
    ///   - revoked: access token ids revoked before their expiry.
    ///   - revokedGrants: grant ids whose access tokens are refused, until when.
    package init(keys: [SigningKey], revoked: [String: Date] = [:], revokedGrants: [String: Date] = [:]) {
        precondition(!keys.isEmpty, "An access token authority needs at least one key")
        self.ring = Locked(Ring(keys))
        self.revoked = Locked(revoked)
        self.revokedGrants = Locked(revokedGrants)
    }

    /// A signed token for `claims`.
    package func sign(_ claims: AccessTokenClaims) -> String {
        let ring = self.current
        let payload = Base64URL.encode(Array(claims.compactForm.utf8))
        let signed = "at1.\(ring.signingKeyID).\(payload)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signed.utf8), using: ring.signingKey)
        return signed + "." + Base64URL.encode(mac)
    }

    /// The claims of `token` if it is ours, intact, unexpired at `now`, meant for `audience`, and
    /// neither it nor its grant is revoked.
    package func verify(_ token: String, audience: String, now: Date) -> AccessTokenClaims? {
        guard let claims = self.claimsIgnoringExpiry(token), Double(claims.expiresAt) > now.timeIntervalSince1970,
            claims.audience == audience
                || OAuthConfiguration.canonicalResource(claims.audience) == OAuthConfiguration.canonicalResource(audience),
            !self.revoked.withLock({ $0[claims.id] != nil }),
            !self.revokedGrants.withLock({ $0[claims.grantID] != nil })
        else { return nil }
        return claims
    }

    /// The claims of a token this authority signed and nobody altered, whatever its expiry,
    /// audience or revocation (revocation reads them to know until when to refuse the token).
    package func claimsIgnoringExpiry(_ token: String) -> AccessTokenClaims? {
        let bytes = Array(token.utf8)
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].elementsEqual("at1".utf8), let verifier = self.verifier(keyID: String(decoding: parts[1], as: UTF8.self)),
            let mac = Base64URL.decode(parts[3]),
            Self.isValidMAC(mac, of: bytes[..<(parts[3].startIndex - 1)], verifier: verifier),
            let payload = Base64URL.decode(parts[2])
        else { return nil }
        return AccessTokenClaims(compactForm: payload)
    }

    /// Whether `mac` is the HMAC-SHA256 of `signed` by `verifier` (keyed, nothing added yet),
    /// compared in constant time.
    ///
    /// Through one `update` with contiguous bytes rather than `isValidAuthenticationCode`, which
    /// runs unspecialized from this module and cost more than the hash on every request.
    private static func isValidMAC(_ mac: [UInt8], of signed: ArraySlice<UInt8>, verifier: HMAC<SHA256>) -> Bool {
        var hmac = verifier
        signed.withUnsafeBytes { hmac.update(data: $0) }
        let expected = hmac.finalize()
        guard mac.count == SHA256.byteCount else { return false }
        return expected.withUnsafeBytes { expected in
            var difference: UInt8 = 0
            for index in 0..<SHA256.byteCount { difference |= expected[index] ^ mac[index] }
            return difference == 0
        }
    }

    /// The keyed HMAC of the ring's key `keyID`, read without copying the ring.
    private func verifier(keyID: String) -> HMAC<SHA256>? {
        self.ring.withLock { $0.verifiers[keyID] }
    }

    /// `text` with a MAC of the signing key: `<key id>.<text base64url>.<mac>`. For cookies the
    /// server must be able to trust when they come back.
    package func seal(_ text: String) -> String {
        let ring = self.current
        let payload = "\(ring.signingKeyID).\(Base64URL.encode(Array(text.utf8)))"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(("seal." + payload).utf8), using: ring.signingKey)
        return payload + "." + Base64URL.encode(mac)
    }

    /// The text of a value ``seal(_:)`` made with any key of the ring, or `nil` when it was altered.
    package func unseal(_ sealed: String) -> String? {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let key = self.current.keys[String(parts[0])], let mac = Base64URL.decode(parts[2].utf8),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(("seal." + parts[0...1].joined(separator: ".")).utf8), using: key),
            let bytes = Base64URL.decode(parts[1].utf8)
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A keyed hash of `text` (HMAC-SHA256 with the oldest key, hex): how login codes are stored.
    func keyedHash(_ text: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: self.current.hashKey))
    }

    /// Takes `keys` as the ring from now on (a key added by `todo-server keys rotate`), when it differs.
    func replaceKeys(_ keys: [SigningKey]) {
        guard !keys.isEmpty else { return }
        let ring = Ring(keys)
        self.ring.withLock { current in
            if current.signingKeyID != ring.signingKeyID || current.keys.count != ring.keys.count { current = ring }
        }
    }

    /// Adds revocations made elsewhere (another process, another instance): one pass per list
    /// under its lock, however many there are.
    func merge(revoked: [String: Date], revokedGrants: [String: Date], now: Date) {
        Self.merge(revoked, into: self.revoked, now: now)
        Self.merge(revokedGrants, into: self.revokedGrants, now: now)
    }

    private static func merge(_ incoming: [String: Date], into list: Locked<[String: Date]>, now: Date) {
        guard !incoming.isEmpty else { return }
        list.withLock { entries in
            entries = entries.filter { $0.value > now }
            for (id, expiry) in incoming where expiry > now { entries[id] = max(entries[id] ?? expiry, expiry) }
        }
    }

    /// Refuses the token with `id` from now on.
    func revoke(id: String, until expiry: Date, now: Date) {
        Self.remember(id, until: expiry, now: now, in: self.revoked)
    }

    /// Refuses every token of the grant `id` from now on.
    func revokeGrant(id: String, until expiry: Date, now: Date) {
        Self.remember(id, until: expiry, now: now, in: self.revokedGrants)
    }

    /// Adds `id` to a revocation list, dropping the entries that expired. Revocations are rare, so
    /// the pass over the list is cheap next to the database write that comes with each.
    private static func remember(_ id: String, until expiry: Date, now: Date, in list: Locked<[String: Date]>) {
        list.withLock { entries in
            entries = entries.filter { $0.value > now }
            entries[id] = max(entries[id] ?? expiry, expiry)
        }
    }
}

/// SHA-256 in lowercase hex: how codes and tokens are stored.
func sha256Hex(_ text: String) -> String {
    Hex.encode(SHA256.hash(data: Data(text.utf8)))
}


/// PKCE (RFC 7636) with S256 only.
enum PKCE {
    /// Whether `value` has the form of a verifier or challenge: 43–128 unreserved characters.
    static func isWellFormed(_ value: String) -> Bool {
        (43...128).contains(value.utf8.count)
            && value.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-._~".unicodeScalars.contains($0))
            }
    }

    /// Whether `verifier` hashes to `challenge`.
    static func verify(verifier: String, challenge: String) -> Bool {
        guard isWellFormed(verifier) else { return false }
        let computed = Base64URL.encode(SHA256.hash(data: Data(verifier.utf8)))
        return constantTimeEqual(computed, challenge)
    }
}
