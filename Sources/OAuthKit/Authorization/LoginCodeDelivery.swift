public import Foundation

/// A login code on its way to the person who asked for it, with what the message should say.
public struct LoginCodeMessage: Hashable, Sendable {
    /// The code to type in.
    public var code: String
    /// The e-mail address, lowercased; it passed the sign-in form's address check.
    public var email: String
    /// The name of the app that asked for the sign-in, as it registered (untrusted text).
    public var clientName: String
    /// The host of the server the person signs in to, such as `todo.example.com`.
    public var serverHost: String
    /// When the code stops being accepted.
    public var expiresAt: Date
    /// Whether the code signs in to the account page rather than for an app (`clientName` then
    /// names the page).
    public var isAccountSignIn: Bool

    /// A message for `email` carrying `code`.
    public init(code: String, email: String, clientName: String, serverHost: String, expiresAt: Date, isAccountSignIn: Bool = false) {
        self.code = code
        self.email = email
        self.clientName = clientName
        self.serverHost = serverHost
        self.expiresAt = expiresAt
        self.isAccountSignIn = isAccountSignIn
    }
}

/// Sends a login code to the person who asked for it. E-mail sending plugs in here.
public protocol LoginCodeDelivery: Sendable {
    /// Sends the code of `message`, or queues it to be sent; a thrown error tells the person on the
    /// page that the code could not be sent.
    func deliver(_ message: LoginCodeMessage) async throws
    /// Drops every message still waiting to be sent to `email`, when its account is deleted.
    func discardPending(for email: String) async throws
}

extension LoginCodeDelivery {
    /// Nothing waits: a delivery that sends at once keeps nothing to discard.
    public func discardPending(for email: String) async throws {}
}

/// Delivers nothing: in demo mode the code is shown on the page instead.
public struct DemoCodeDelivery: LoginCodeDelivery {
    /// A delivery that sends nothing.
    public init() {}

    public func deliver(_ message: LoginCodeMessage) async throws {}
}

/// Login codes: 5 characters from an alphabet without look-alikes (no 0/O, 1/I/L).
enum LoginCodes {
    static let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    static let length = 5

    static func make(randomBytes: [UInt8]) -> String {
        // 256 is not a multiple of 31; the tiny bias (< 1%) does not matter for a 10-minute, few-attempt code.
        String(randomBytes.prefix(self.length).map { self.alphabet[Int($0) % self.alphabet.count] })
    }

    /// What the person typed, as a code: upper case, without spaces or dashes.
    static func normalize(_ typed: String) -> String {
        typed.uppercased().filter { !$0.isWhitespace && $0 != "-" }
    }
}

/// A person's e-mail address as the login form accepts it.
enum EmailAddress {
    /// The address lowercased and trimmed, or `nil` when it is not a plausible address.
    ///
    /// Only printable ASCII is accepted: an account is its address, so a look-alike (a Cyrillic
    /// `а`, a zero-width space) must not make a second account that reads like someone else's,
    /// and mail is sent without SMTPUTF8, so such an address could not be written to anyway.
    static func normalize(_ raw: String) -> String? {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            email.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && !"<>\"(),;:\\[]".unicodeScalars.contains($0) })
        else { return nil }
        return email
    }
}
