import GRDB
import Synchronization

/// Writes that share commits: the writes that arrive while a commit is under way run together in
/// the next transaction, each in a savepoint of its own, so one sync to disk serves them all.
///
/// A lone write commits at once, as it would without batching; under load, batches grow with the
/// load. A write that fails rolls back its own savepoint only; a commit that fails fails every write
/// of its batch. No caller resumes before its write is committed.
final class GroupCommit: Sendable {
    private struct Item {
        /// Runs the write in a savepoint and keeps its outcome.
        let run: @Sendable (Database) -> Void
        /// Resumes the caller: with the write's outcome, or with the commit's error.
        let finish: @Sendable ((any Error)?) -> Void
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
    private let state = Mutex(State())

    init(writer: any DatabaseWriter) { self.writer = writer }

    /// Runs `work` in the next shared transaction and returns its result once that transaction is committed.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let item = Item(
                run: { db in
                    let result = Result { () throws -> T in
                        var value: Result<T, any Error> = .failure(CancellationError())
                        try db.inSavepoint {
                            value = .success(try work(db))
                            return .commit
                        }
                        return try value.get()
                    }
                    outcome.withLock { $0 = result }
                },
                finish: { commitError in
                    if let commitError {
                        continuation.resume(throwing: commitError)
                    } else {
                        // Every item of a batch that committed has run.
                        continuation.resume(with: outcome.withLock { $0 } ?? .failure(CancellationError()))
                    }
                }
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
                try await self.writer.write { db in
                    for item in batch { item.run(db) }
                }
                for item in batch { item.finish(nil) }
            } catch {
                for item in batch { item.finish(error) }
            }
        }
    }

    /// How many transactions have run, how many writes the one under way holds, and how many wait for the next.
    var statistics: (transactions: Int, committing: Int, pending: Int) {
        self.state.withLock { ($0.transactions, $0.committing, $0.pending.count) }
    }
}
