/// Hands an e-mail to a mail relay.
public protocol MailSender: Sendable {
    /// Sends `message`, or throws ``MailSendError`` saying whether a later try may succeed.
    func send(_ message: EmailMessage) async throws(MailSendError)
}

/// Why a message was not sent, and whether trying again later may help.
public struct MailSendError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Whether the failure may pass (the relay is down or busy) rather than be final (refused,
    /// misconfigured, no STARTTLS where it is required).
    public var isTemporary: Bool
    /// What failed, in words that hold no secret.
    public var description: String

    /// A failure saying `description`.
    public init(temporary: Bool, _ description: String) {
        self.isTemporary = temporary
        self.description = description
    }
}
