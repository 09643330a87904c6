import Foundation

/// One stored write to a todo: the todo before and after it.
public struct TodoChange: Hashable, Sendable {
    /// The todo's owner: only the owner's subscribers hear of the change.
    public var owner: UserID
    /// The todo written.
    public var id: TodoID
    /// The todo before the write; `nil` when it was created.
    public var before: Todo?
    /// The todo after the write; `nil` when it was deleted.
    public var after: Todo?

    /// A change from `before` to `after`; at least one of them is given, both of the same todo.
    public init(before: Todo?, after: Todo?) {
        precondition(before != nil || after != nil, "a change has a todo before or after it")
        let todo = (after ?? before)!
        self.owner = todo.owner
        self.id = todo.id
        self.before = before
        self.after = after
    }
}

/// Hears of every stored write to a todo, such as a ``TodoChangeFeed`` that passes them on to the
/// owner's live subscribers, or one that forwards them to other server instances.
public protocol TodoChangePublisher: Sendable {
    /// Takes the changes of one stored write, in order. It must return at once: writers never wait
    /// for subscribers.
    func publish(_ changes: [TodoChange])
}

/// The changes to each owner's todos, passed to that owner's subscribers only, in the order they
/// were published.
///
/// A subscriber that does not keep up is never waited for and never makes memory grow: changes
/// to a todo that already has one waiting merge into it (from the first state before to the last
/// after), and once ``bufferSize`` todos have changes waiting, they are dropped and the subscriber
/// is told it ``TodoChangeSubscription/Event/missed`` some, so it reads again what it shows.
///
/// ```swift
/// let feed = TodoChangeFeed()
/// let service = TodoService(repository: repository, changes: feed)
/// let subscription = feed.subscribe(owner: alice)
/// defer { subscription.cancel() }
/// while let event = await subscription.next() { … }
/// ```
public final class TodoChangeFeed: TodoChangePublisher, @unchecked Sendable {
    /// How many changes may wait for one subscriber before they are dropped.
    public let bufferSize: Int
    // Guards `subscribers`. Publishing holds it while it hands a change to each subscriber (a
    // few instructions each, never a wait), so every subscriber sees changes in one order.
    private let lock = NSLock()
    private var subscribers: [UserID: [ObjectIdentifier: TodoChangeSubscription]] = [:]

    /// A feed that keeps changes of at most `bufferSize` todos waiting for each subscriber.
    public init(bufferSize: Int = 32) {
        self.bufferSize = max(1, bufferSize)
    }

    public func publish(_ changes: [TodoChange]) {
        self.lock.lock()
        defer { self.lock.unlock() }
        for change in changes {
            for subscriber in (self.subscribers[change.owner] ?? [:]).values { subscriber.deliver(change) }
        }
    }

    /// Tells every subscriber of `owner` that changes were lost on the way (such as changes made
    /// through another server instance that were too large to pass on): each reads again what it shows.
    public func markMissed(owner: UserID) {
        self.lock.lock()
        defer { self.lock.unlock() }
        for subscriber in (self.subscribers[owner] ?? [:]).values { subscriber.deliverMissed() }
    }

    /// Tells every subscriber that changes may have been lost (such as while the connection to the
    /// other server instances was down).
    public func markAllMissed() {
        self.lock.lock()
        defer { self.lock.unlock() }
        for subscribers in self.subscribers.values {
            for subscriber in subscribers.values { subscriber.deliverMissed() }
        }
    }

    /// A new subscription to the changes of `owner`'s todos, from now on. Cancel it when done.
    public func subscribe(owner: UserID) -> TodoChangeSubscription {
        let subscription = TodoChangeSubscription(owner: owner, capacity: self.bufferSize, feed: self)
        self.lock.lock()
        self.subscribers[owner, default: [:]][ObjectIdentifier(subscription)] = subscription
        self.lock.unlock()
        return subscription
    }

    /// How many subscriptions of `owner` are open.
    public func subscriberCount(owner: UserID) -> Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.subscribers[owner]?.count ?? 0
    }

    fileprivate func remove(_ subscription: TodoChangeSubscription) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.subscribers[subscription.owner]?[ObjectIdentifier(subscription)] = nil
        if self.subscribers[subscription.owner]?.isEmpty == true { self.subscribers[subscription.owner] = nil }
    }
}

/// One subscriber's changes from a ``TodoChangeFeed``, read by one task at a time with ``next()``.
public final class TodoChangeSubscription: @unchecked Sendable {
    /// What ``next()`` returns.
    public enum Event: Hashable, Sendable {
        /// A stored write to one of the owner's todos.
        case changed(TodoChange)
        /// Changes were dropped because too many waited: read again whatever is shown.
        case missed
    }

    /// Whose changes these are.
    public let owner: UserID
    private let capacity: Int
    private weak var feed: TodoChangeFeed?
    // Guards everything below.
    private let lock = NSLock()
    private var buffer: [TodoChange] = []
    private var missed = false
    private var ended = false
    private var waiter: CheckedContinuation<Event?, Never>?

    fileprivate init(owner: UserID, capacity: Int, feed: TodoChangeFeed) {
        self.owner = owner
        self.capacity = capacity
        self.feed = feed
    }

    /// The next event, waiting for one; `nil` once the subscription is cancelled, or when the
    /// waiting task is cancelled (then the subscription stays open and keeps what waits).
    public func next() async -> Event? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Event?, Never>) in
                self.lock.lock()
                if let event = self.takeLocked() {
                    self.lock.unlock()
                    continuation.resume(returning: event)
                } else if self.ended || Task.isCancelled {
                    self.lock.unlock()
                    continuation.resume(returning: nil)
                } else {
                    let earlier = self.waiter
                    self.waiter = continuation
                    self.lock.unlock()
                    earlier?.resume(returning: nil)
                }
            }
        } onCancel: {
            self.lock.lock()
            let waiter = self.waiter
            self.waiter = nil
            self.lock.unlock()
            waiter?.resume(returning: nil)
        }
    }

    /// Ends the subscription: the feed forgets it, and ``next()`` returns `nil` from now on.
    public func cancel() {
        self.lock.lock()
        self.ended = true
        self.buffer.removeAll()
        let waiter = self.waiter
        self.waiter = nil
        self.lock.unlock()
        waiter?.resume(returning: nil)
        self.feed?.remove(self)
    }

    fileprivate func deliver(_ change: TodoChange) {
        self.lock.lock()
        guard !self.ended else { return self.lock.unlock() }
        if let waiter = self.waiter {
            // A waiter exists only while nothing is buffered, so order is kept.
            self.waiter = nil
            self.lock.unlock()
            waiter.resume(returning: .changed(change))
            return
        }
        if let waiting = self.buffer.firstIndex(where: { $0.id == change.id }) {
            // A later change of a todo that has one waiting: one change from the first state to the last.
            let first = self.buffer[waiting].before
            if first == nil && change.after == nil {
                self.buffer.remove(at: waiting)  // created and deleted before anyone looked
            } else {
                self.buffer[waiting] = TodoChange(before: first, after: change.after)
            }
        } else if self.buffer.count < self.capacity {
            self.buffer.append(change)
        } else {
            self.buffer.removeAll(keepingCapacity: true)
            self.missed = true
        }
        self.lock.unlock()
    }

    fileprivate func deliverMissed() {
        self.lock.lock()
        guard !self.ended else { return self.lock.unlock() }
        self.buffer.removeAll(keepingCapacity: true)
        if let waiter = self.waiter {
            self.waiter = nil
            self.lock.unlock()
            waiter.resume(returning: .missed)
            return
        }
        self.missed = true
        self.lock.unlock()
    }

    private func takeLocked() -> Event? {
        if self.missed {
            self.missed = false
            return .missed
        }
        return self.buffer.isEmpty ? nil : .changed(self.buffer.removeFirst())
    }
}
