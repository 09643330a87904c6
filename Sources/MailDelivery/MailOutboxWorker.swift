public import Foundation
public import Logging
public import OAuthKit
public import ServiceLifecycle

/// Login-code delivery through the outbox: the sign-in request only writes the e-mail to the
/// outbox, and ``MailOutboxWorker`` sends it, so no sign-in waits for the relay.
public struct OutboxDelivery: LoginCodeDelivery {
    let outbox: any MailOutbox
    let from: String
    let now: @Sendable () -> Date

    /// A delivery that queues login-code e-mails from `from` (`MAIL_FROM`) in `outbox`.
    public init(outbox: any MailOutbox, from: String, now: @escaping @Sendable () -> Date = Date.init) {
        self.outbox = outbox
        self.from = from
        self.now = now
    }

    public func deliver(_ message: LoginCodeMessage) async throws {
        let date = self.now()
        let id = UUID().uuidString.lowercased()
        let domain = self.from.split(separator: "@").last.map(String.init) ?? message.serverHost
        let email = EmailMessage.loginCode(message, from: self.from, date: date, messageID: id + "@" + domain)
        try await self.outbox.enqueue(OutboxEntry(id: id, message: email, nextAttemptAt: date, expiresAt: message.expiresAt))
    }

    public func discardPending(for email: String) async throws {
        try await self.outbox.removeAll(to: email)
    }
}

/// Sends what waits in the outbox: every `pollInterval`, it claims the entries that are due and
/// hands each to the sender. A temporary failure is tried again later, waiting twice as long each
/// time (2 s, 4 s, 8 s … at most `maxBackoff`); a final failure, or an entry whose content expired
/// first, is removed and logged. Claims lapse after `lease`, so an entry a crashed worker held is
/// sent by the next. Stops on graceful shutdown.
public struct MailOutboxWorker: Service {
    let outbox: any MailOutbox
    let sender: any MailSender
    let now: @Sendable () -> Date
    let pollInterval: Duration
    let lease: TimeInterval
    let maxBackoff: TimeInterval
    let logger: Logger

    /// A worker sending from `outbox` through `sender`.
    /// - Parameters:
    ///   - outbox: where e-mails wait.
    ///   - sender: the relay.
    ///   - now: the clock.
    ///   - pollInterval: how often the outbox is looked at.
    ///   - lease: how long a claimed entry is held before another worker may take it.
    ///   - maxBackoff: the longest wait between two tries, in seconds.
    ///   - logger: where failures are logged (never a message's content or a secret).
    public init(
        outbox: any MailOutbox,
        sender: any MailSender,
        now: @escaping @Sendable () -> Date = Date.init,
        pollInterval: Duration = .seconds(1),
        lease: TimeInterval = 120,
        maxBackoff: TimeInterval = 300,
        logger: Logger
    ) {
        self.outbox = outbox
        self.sender = sender
        self.now = now
        self.pollInterval = pollInterval
        self.lease = lease
        self.maxBackoff = maxBackoff
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await self.deliverDue()
                try? await Task.sleep(for: self.pollInterval)
            }
        }
    }

    /// One pass: sends every entry due now. Returns how many were sent.
    @discardableResult
    package func deliverDue() async -> Int {
        var sent = 0
        do {
            let now = self.now()
            for entry in try await self.outbox.claim(dueAt: now, leaseUntil: now.addingTimeInterval(self.lease), limit: 20) {
                if self.now() >= entry.expiresAt {
                    try await self.outbox.remove(id: entry.id)
                    self.logger.warning("An e-mail expired before it could be sent", metadata: ["mail.id": "\(entry.id)", "mail.attempts": "\(entry.attempts)"])
                    continue
                }
                do {
                    try await self.sender.send(entry.message)
                    try await self.outbox.remove(id: entry.id)
                    sent += 1
                } catch let error as MailSendError where error.isTemporary {
                    let wait = min(self.maxBackoff, 2 * pow(2, Double(entry.attempts)))
                    try await self.outbox.retry(id: entry.id, at: self.now().addingTimeInterval(wait))
                    self.logger.info(
                        "An e-mail could not be sent yet; trying again",
                        metadata: ["mail.id": "\(entry.id)", "mail.error": "\(error)", "mail.retry_in_s": "\(Int(wait))"]
                    )
                } catch {
                    try await self.outbox.remove(id: entry.id)
                    self.logger.error("An e-mail could not be sent and is given up", metadata: ["mail.id": "\(entry.id)", "mail.error": "\(error)"])
                }
            }
        } catch {
            self.logger.error("The mail outbox could not be read or updated: \(error)")
        }
        return sent
    }
}
