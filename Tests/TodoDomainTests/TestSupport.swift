import Foundation
import Synchronization
import TodoDomain

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { self.current = Mutex(start) }

    var now: @Sendable () -> Date { { self.current.withLock { $0 } } }

    func advance(seconds: TimeInterval) {
        self.current.withLock { $0 += seconds }
    }
}

let alice = UserID("u_alice")
let bob = UserID("u_bob")

func makeService(clock: ManualClock = ManualClock()) -> (TodoService, ManualClock) {
    (TodoService(repository: InMemoryTodoRepository(), now: clock.now), clock)
}
