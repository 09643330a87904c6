public import Foundation

/// An e-mail waiting in the outbox.
public struct OutboxEntry: Hashable, Sendable {
    /// A unique id.
    public var id: String
    /// The e-mail.
    public var message: EmailMessage
    /// Tries so far.
    public var attempts: Int
    /// When the next try is due (or, while a worker holds it, when its claim lapses).
    public var nextAttemptAt: Date
    /// When sending it stops making sense (a login code's expiry).
    public var expiresAt: Date

    /// An entry with every field given.
    public init(id: String, message: EmailMessage, attempts: Int = 0, nextAttemptAt: Date, expiresAt: Date) {
        self.id = id
        self.message = message
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.expiresAt = expiresAt
    }
}

/// Where e-mails wait until a worker has handed them to the relay: durable, so that a message
/// survives a restart, and claimable, so that several workers (or instances) never send one twice
/// at the same time.
public protocol MailOutbox: Sendable {
    /// Adds `entry`.
    func enqueue(_ entry: OutboxEntry) async throws
    /// In one step: takes up to `limit` entries due at `date` and moves their next try to
    /// `leaseUntil`, so that no other worker takes them meanwhile; returns them.
    func claim(dueAt date: Date, leaseUntil: Date, limit: Int) async throws -> [OutboxEntry]
    /// Schedules another try of entry `id` at `date`, counting one more attempt.
    func retry(id: String, at date: Date) async throws
    /// Removes entry `id` (sent, failed for good, or expired).
    func remove(id: String) async throws
    /// When the earliest entry is due, if there is one.
    func nextDue() async throws -> Date?
    /// Removes every entry addressed to `address` (a deleted account's).
    func removeAll(to address: String) async throws
}

/// A ``MailOutbox`` in memory, for tests and servers that keep nothing.
public actor InMemoryMailOutbox: MailOutbox {
    private var entries: [String: OutboxEntry] = [:]

    /// An empty outbox.
    public init() {}

    /// What the outbox holds now.
    public var all: [OutboxEntry] { Array(self.entries.values) }

    public func enqueue(_ entry: OutboxEntry) { self.entries[entry.id] = entry }

    public func claim(dueAt date: Date, leaseUntil: Date, limit: Int) -> [OutboxEntry] {
        let due = self.entries.values.filter { $0.nextAttemptAt <= date }.sorted { $0.nextAttemptAt < $1.nextAttemptAt }.prefix(limit)
        for entry in due { self.entries[entry.id]?.nextAttemptAt = leaseUntil }
        return Array(due)
    }

    public func retry(id: String, at date: Date) {
        self.entries[id]?.attempts += 1
        self.entries[id]?.nextAttemptAt = date
    }

    public func remove(id: String) { self.entries[id] = nil }

    public func nextDue() -> Date? { self.entries.values.map(\.nextAttemptAt).min() }

    public func removeAll(to address: String) { self.entries = self.entries.filter { $0.value.message.to != address } }
}
