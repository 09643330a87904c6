import EndpointCore
public import Foundation

/// The time and randomness the authorization server uses, injected so tests control them.
public struct OAuthEnvironment: Sendable {
    /// The current time.
    public var now: @Sendable () -> Date
    /// `count` cryptographically random bytes.
    public var randomBytes: @Sendable (Int) -> [UInt8]

    /// Makes an environment; the defaults are the system clock and the secure generator, and tests pass their own.
    public init(
        now: @escaping @Sendable () -> Date = Date.init,
        randomBytes: @escaping @Sendable (Int) -> [UInt8] = OAuthEnvironment.systemRandomBytes
    ) {
        self.now = now
        self.randomBytes = randomBytes
    }

    /// Bytes from the system's secure generator (`random(in:)` uses it).
    public static let systemRandomBytes: @Sendable (Int) -> [UInt8] = { count in
        (0..<count).map { _ in UInt8.random(in: .min ... .max) }
    }

    /// A random token: `bytes` random bytes in base64url.
    func randomToken(bytes: Int = 32) -> String { Base64URL.encode(self.randomBytes(bytes)) }
}
