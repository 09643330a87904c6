import EndpointTestSupport
import Foundation
import Logging
import MailDelivery
import OAuthKit
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// The outbox: a sign-in only queues its e-mail; the worker sends it, retries what may pass, and
/// gives up what cannot.
@Suite("Mail outbox")
struct MailOutboxTests {
    /// A relay that answers each send with the next scripted result (success once they run out).
    final class ScriptedRelay: MailSender {
        let results: Mutex<[MailSendError?]>
        let delivered = Mutex<[EmailMessage]>([])

        init(_ results: [MailSendError?] = []) { self.results = Mutex(results) }

        func send(_ message: EmailMessage) async throws(MailSendError) {
            let next = self.results.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let next { throw next }
            self.delivered.withLock { $0.append(message) }
        }
    }

    static func code(expiresIn seconds: TimeInterval, clock: TestClock) -> LoginCodeMessage {
        LoginCodeMessage(code: "ABCDE", email: "ada@example.com", clientName: "Claude", serverHost: "todo.example.com", expiresAt: clock.now().addingTimeInterval(seconds))
    }

    static func worker(_ outbox: InMemoryMailOutbox, _ relay: ScriptedRelay, _ clock: TestClock) -> MailOutboxWorker {
        MailOutboxWorker(outbox: outbox, sender: relay, now: clock.now, logger: Logger(label: "test"))
    }

    @Test("Delivery only queues the e-mail; the worker sends it once and empties the outbox")
    func queuedThenSent() async throws {
        let clock = TestClock()
        let outbox = InMemoryMailOutbox()
        let relay = ScriptedRelay()
        try await OutboxDelivery(outbox: outbox, from: "login@todo.example.com", now: clock.now).deliver(Self.code(expiresIn: 600, clock: clock))
        #expect(relay.delivered.withLock { $0.isEmpty }, "nothing is sent during the sign-in request")
        let queued = try #require(await outbox.all.first)
        #expect(queued.message.subject == "Your sign-in code: ABCDE" && queued.message.to == "ada@example.com")
        #expect(queued.message.messageID.hasSuffix("@todo.example.com"))
        #expect(queued.expiresAt == clock.now().addingTimeInterval(600))

        let worker = Self.worker(outbox, relay, clock)
        #expect(await worker.deliverDue() == 1)
        #expect(await worker.deliverDue() == 0)
        #expect(relay.delivered.withLock { $0.count } == 1)
        #expect(await outbox.all.isEmpty)
    }

    @Test("Temporary failures are retried with growing waits until the relay takes the message")
    func retriesWithBackoff() async throws {
        let clock = TestClock()
        let outbox = InMemoryMailOutbox()
        let down = MailSendError(temporary: true, "relay down")
        let relay = ScriptedRelay([down, down, down])
        try await OutboxDelivery(outbox: outbox, from: "login@todo.example.com", now: clock.now).deliver(Self.code(expiresIn: 600, clock: clock))
        let worker = Self.worker(outbox, relay, clock)
        var waits: [TimeInterval] = []
        for _ in 0..<3 {
            #expect(await worker.deliverDue() == 0)
            let due = try #require(await outbox.nextDue())
            waits.append(due.timeIntervalSince(clock.now()))
            #expect(await worker.deliverDue() == 0, "not before its time")
            clock.advance(seconds: waits.last!)
        }
        #expect(waits == [2, 4, 8])
        #expect(await outbox.all.first?.attempts == 3)
        #expect(await worker.deliverDue() == 1)
        #expect(relay.delivered.withLock { $0.count } == 1)
    }

    @Test("A final failure is given up at once; an entry that expired first is never sent")
    func finalFailuresAndExpiry() async throws {
        let clock = TestClock()
        let outbox = InMemoryMailOutbox()
        let relay = ScriptedRelay([MailSendError(temporary: false, "no STARTTLS")])
        let delivery = OutboxDelivery(outbox: outbox, from: "login@todo.example.com", now: clock.now)
        try await delivery.deliver(Self.code(expiresIn: 600, clock: clock))
        let worker = Self.worker(outbox, relay, clock)
        #expect(await worker.deliverDue() == 0)
        #expect(await outbox.all.isEmpty, "not retried")

        try await delivery.deliver(Self.code(expiresIn: 5, clock: clock))
        clock.advance(seconds: 6)
        #expect(await worker.deliverDue() == 0)
        #expect(await outbox.all.isEmpty)
        #expect(relay.delivered.withLock { $0.isEmpty }, "an expired code is not mailed")
    }

    @Test("A claimed entry is held for the lease, so a second worker does not send it too; after the lease it is free")
    func claimsLease() async throws {
        let clock = TestClock()
        let outbox = InMemoryMailOutbox()
        try await OutboxDelivery(outbox: outbox, from: "login@todo.example.com", now: clock.now).deliver(Self.code(expiresIn: 600, clock: clock))
        let first = await outbox.claim(dueAt: clock.now(), leaseUntil: clock.now().addingTimeInterval(120), limit: 10)
        #expect(first.count == 1)
        #expect(await outbox.claim(dueAt: clock.now(), leaseUntil: clock.now().addingTimeInterval(120), limit: 10).isEmpty)
        clock.advance(seconds: 121)
        #expect(await outbox.claim(dueAt: clock.now(), leaseUntil: clock.now().addingTimeInterval(120), limit: 10).count == 1)
    }

    @Test("The worker sends what is due at once when it starts, and stops on graceful shutdown", .timeLimit(.minutes(1)))
    func runsAndStops() async throws {
        let clock = TestClock()
        let outbox = InMemoryMailOutbox()
        let relay = ScriptedRelay()
        try await OutboxDelivery(outbox: outbox, from: "login@todo.example.com", now: clock.now).deliver(Self.code(expiresIn: 600, clock: clock))
        let worker = MailOutboxWorker(outbox: outbox, sender: relay, now: clock.now, pollInterval: .seconds(3600), logger: Logger(label: "test"))
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await worker.run() }
                while relay.delivered.withLock({ $0.isEmpty }) { await Task.yield() }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(await outbox.all.isEmpty)
    }
}
