import Foundation
import MailDelivery
import Testing

@testable import Storage

/// The outbox in either database keeps what the worker relies on: survival, claims that exclude each other,
/// retries and removal.
@Suite("Mail outboxes")
struct MailOutboxTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func entry(_ id: String, dueIn seconds: TimeInterval = 0) -> OutboxEntry {
        OutboxEntry(
            id: id,
            message: EmailMessage(
                from: "login@example.com",
                fromName: "Zoë",
                to: "ada@example.com",
                subject: "Code ABCDE",
                body: "é\nline",
                date: Self.start,
                messageID: id + "@example.com"
            ),
            nextAttemptAt: Self.start.addingTimeInterval(seconds),
            expiresAt: Self.start.addingTimeInterval(600)
        )
    }

    @Test("Entries round-trip, are claimed once per lease in due order, retried and removed", arguments: StoreKind.available)
    func lifecycle(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let outbox = stores.outbox
            try await outbox.enqueue(Self.entry("late", dueIn: 30))
            try await outbox.enqueue(Self.entry("early"))
            #expect(try await outbox.nextDue() == Self.start)

            let lease = Self.start.addingTimeInterval(120)
            let claimed = try await outbox.claim(dueAt: Self.start, leaseUntil: lease, limit: 10)
            #expect(claimed.map(\.id) == ["early"])
            #expect(claimed.first?.message == Self.entry("early").message, "the e-mail survives storage unchanged")
            #expect(try await outbox.claim(dueAt: Self.start, leaseUntil: lease, limit: 10).isEmpty, "held by the first claim")

            try await outbox.retry(id: "early", at: Self.start.addingTimeInterval(2))
            let again = try await outbox.claim(dueAt: Self.start.addingTimeInterval(60), leaseUntil: Self.start.addingTimeInterval(200), limit: 1)
            #expect(again.map(\.id) == ["early"] && again.first?.attempts == 1, "the earliest due first, one at a time")
            try await outbox.remove(id: "early")
            try await outbox.remove(id: "late")
            #expect(try await outbox.nextDue() == nil)
        }
    }

    @Test("Parallel claims never hand one entry to two workers", arguments: StoreKind.available)
    func parallelClaims(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let outbox = stores.outbox
            for index in 0..<20 { try await outbox.enqueue(Self.entry("m\(index)")) }
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<8 {
                    group.addTask { try await outbox.claim(dueAt: Self.start, leaseUntil: Self.start.addingTimeInterval(120), limit: 5).map(\.id) }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(claimed.count == 20 && Set(claimed).count == 20)
        }
    }
}
