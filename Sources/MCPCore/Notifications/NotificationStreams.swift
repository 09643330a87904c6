import Foundation

/// The open notification streams of one endpoint and the legacy sessions' resource subscriptions:
/// what the limits count, in memory.
///
/// A stream holds a ``Lease`` from the moment it is granted; the lease is returned when the stream
/// ends, or when the response is dropped before its stream ever ran, so a count never leaks.
final class NotificationStreams: @unchecked Sendable {
    // Guards everything below.
    private let lock = NSLock()
    private var streamsBySubject: [String: Int] = [:]
    /// The GET stream of each legacy session: its lease, and how to stop it when a new one replaces it.
    private var streamBySession: [String: (lease: ObjectIdentifier, stop: @Sendable () -> Void)] = [:]
    private var subscriptionsBySession: [String: Set<String>] = [:]
    /// Each subject's sessions with subscriptions, least recently changed first, so that a
    /// subject's oldest go at the bound and nobody else's do.
    private var subscribingSessions: [String: [String]] = [:]

    /// The most legacy sessions of one subject whose subscriptions are kept; beyond it that
    /// subject's least recently changed are forgotten (sessions idle out without telling this registry).
    let maxSessionsWithSubscriptions: Int

    init(maxSessionsWithSubscriptions: Int = 100) {
        self.maxSessionsWithSubscriptions = maxSessionsWithSubscriptions
    }

    /// A granted stream: counted until ``release()``, which runs at most once.
    final class Lease: @unchecked Sendable {
        private let streams: NotificationStreams
        let subject: String
        let session: String?
        private let lock = NSLock()
        private var released = false

        fileprivate init(streams: NotificationStreams, subject: String, session: String?) {
            self.streams = streams
            self.subject = subject
            self.session = session
        }

        func release() {
            self.lock.lock()
            let first = !self.released
            self.released = true
            self.lock.unlock()
            if first { self.streams.end(self) }
        }

        deinit { self.release() }
    }

    /// Grants a stream to `subject` unless it already holds `limit`. A legacy session's GET stream
    /// (`session` given) replaces the session's earlier one, which `stop` of that one ends: a
    /// client that reconnects is not refused while its old connection is still being noticed as gone.
    func open(subject: String, session: String?, limit: Int, stop: @escaping @Sendable () -> Void = {}) -> Lease? {
        self.lock.lock()
        var replaced: (@Sendable () -> Void)?
        if let session, let earlier = self.streamBySession[session] {
            replaced = earlier.stop
            // The earlier stream's place passes to this one at once.
            self.streamsBySubject[subject, default: 1] -= 1
        }
        guard self.streamsBySubject[subject, default: 0] < limit else {
            if replaced != nil { self.streamsBySubject[subject, default: 0] += 1 }
            self.lock.unlock()
            return nil
        }
        self.streamsBySubject[subject, default: 0] += 1
        let lease = Lease(streams: self, subject: subject, session: session)
        if let session { self.streamBySession[session] = (ObjectIdentifier(lease), stop) }
        self.lock.unlock()
        replaced?()
        return lease
    }

    private func end(_ lease: Lease) {
        self.lock.lock()
        defer { self.lock.unlock() }
        if let session = lease.session {
            // A stream that was replaced gave its place to its successor already.
            guard self.streamBySession[session]?.lease == ObjectIdentifier(lease) else { return }
            self.streamBySession[session] = nil
        }
        let left = (self.streamsBySubject[lease.subject] ?? 1) - 1
        self.streamsBySubject[lease.subject] = left > 0 ? left : nil
    }

    // MARK: Legacy subscriptions

    /// The URIs `session` subscribed to.
    func subscriptions(session: String) -> Set<String> {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.subscriptionsBySession[session] ?? []
    }

    /// Adds `uri` to the subscriptions of `session` (of `subject`) unless it already holds
    /// `limit`; returns whether the URI is subscribed now.
    func subscribe(session: String, subject: String, uri: String, limit: Int) -> Bool {
        self.lock.lock()
        defer { self.lock.unlock() }
        var uris = self.subscriptionsBySession[session] ?? []
        guard uris.contains(uri) || uris.count < limit else { return false }
        uris.insert(uri)
        self.subscriptionsBySession[session] = uris
        var sessions = self.subscribingSessions[subject] ?? []
        sessions.removeAll { $0 == session }
        sessions.append(session)
        while sessions.count > self.maxSessionsWithSubscriptions {
            self.subscriptionsBySession[sessions.removeFirst()] = nil
        }
        self.subscribingSessions[subject] = sessions
        return true
    }

    /// Removes `uri` from `session`'s subscriptions.
    func unsubscribe(session: String, subject: String, uri: String) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.subscriptionsBySession[session]?.remove(uri)
        if self.subscriptionsBySession[session]?.isEmpty == true { self.forgetLocked(session, subject: subject) }
    }

    /// Forgets the subscriptions of `session` (of `subject`), which ended.
    func forget(session: String, subject: String) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.forgetLocked(session, subject: subject)
    }

    private func forgetLocked(_ session: String, subject: String) {
        self.subscriptionsBySession[session] = nil
        self.subscribingSessions[subject]?.removeAll { $0 == session }
        if self.subscribingSessions[subject]?.isEmpty == true { self.subscribingSessions[subject] = nil }
    }
}
