import EndpointCore
import GRDB

/// Writes that share commits: the writes that arrive while a commit is under way run together in
/// the next transaction, each in a savepoint of its own, so one sync to disk serves them all.
///
/// A lone write commits at once, as it would without batching; under load, batches grow with the
/// load. A write that fails rolls back its own savepoint only; a commit that fails fails every write
/// of its batch. No caller resumes before its write is committed.
final class GroupCommit: Sendable {
    private struct Item {
        /// Runs the write in a savepoint; returns what resumes its caller once the transaction is committed.
        let run: @Sendable (Database) -> @Sendable () -> Void
        /// Resumes the caller with the error of a transaction that failed.
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var pending: [Item] = []
        var draining = false
        /// Writes in the transaction under way.
        var committing = 0
        /// Transactions committed or attempted.
        var transactions = 0
    }

    private let writer: any DatabaseWriter
    private let state = Locked(State())

    init(writer: any DatabaseWriter) { self.writer = writer }

    /// Runs `work` in the next shared transaction and returns its result once that transaction is committed.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let item = Item(
                run: { db in
                    let result = Result { try Self.inSavepoint(db, work) }
                    return { continuation.resume(with: result) }
                },
                fail: { continuation.resume(throwing: $0) }
            )
            let startsDraining = self.state.withLock { state in
                state.pending.append(item)
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startsDraining { Task { await self.drain() } }
        }
    }

    /// The result of `work`, run in a savepoint that is rolled back when it throws.
    private static func inSavepoint<T>(_ db: Database, _ work: (Database) throws -> T) throws -> T {
        var value: T?
        try db.inSavepoint {
            value = try work(db)
            return .commit
        }
        // `inSavepoint` returned normally, so `work` did too.
        return value!
    }

    /// Commits batches until nothing is pending.
    private func drain() async {
        while true {
            let batch = self.state.withLock { state -> [Item] in
                let batch = state.pending
                state.pending = []
                state.committing = batch.count
                if batch.isEmpty { state.draining = false } else { state.transactions += 1 }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let resumes = try await self.writer.write { db in batch.map { $0.run(db) } }
                for resume in resumes { resume() }
            } catch {
                for item in batch { item.fail(error) }
            }
        }
    }

    /// How many transactions have run, how many writes the one under way holds, and how many wait for the next.
    var statistics: (transactions: Int, committing: Int, pending: Int) {
        self.state.withLock { ($0.transactions, $0.committing, $0.pending.count) }
    }
}
