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
    private var sessionsStreaming: Set<String> = []
    private var subscriptionsBySession: [String: Set<String>] = [:]
    /// Sessions with subscriptions, least recently changed first, so the oldest go at the bound.
    private var subscriptionOrder: [String] = []

    /// The most legacy sessions whose subscriptions are kept; beyond it the least recently
    /// changed are forgotten (sessions end without telling this registry when they idle out).
    let maxSessionsWithSubscriptions: Int

    init(maxSessionsWithSubscriptions: Int = 10_000) {
        self.maxSessionsWithSubscriptions = maxSessionsWithSubscriptions
    }

    /// Why a stream was not granted.
    enum Refusal: Error {
        /// The subject already has the most streams allowed.
        case subjectAtLimit
        /// The session already has its GET stream.
        case sessionHasStream
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
            if first { self.streams.end(subject: self.subject, session: self.session) }
        }

        deinit { self.release() }
    }

    /// Grants a stream to `subject` (for a legacy GET stream, of `session`) unless a limit is reached.
    func open(subject: String, session: String?, limit: Int) -> Result<Lease, Refusal> {
        self.lock.lock()
        defer { self.lock.unlock() }
        if let session, self.sessionsStreaming.contains(session) { return .failure(.sessionHasStream) }
        guard self.streamsBySubject[subject, default: 0] < limit else { return .failure(.subjectAtLimit) }
        self.streamsBySubject[subject, default: 0] += 1
        if let session { self.sessionsStreaming.insert(session) }
        return .success(Lease(streams: self, subject: subject, session: session))
    }

    /// How many streams `subject` has open.
    func count(subject: String) -> Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.streamsBySubject[subject] ?? 0
    }

    private func end(subject: String, session: String?) {
        self.lock.lock()
        defer { self.lock.unlock() }
        let left = (self.streamsBySubject[subject] ?? 1) - 1
        self.streamsBySubject[subject] = left > 0 ? left : nil
        if let session { self.sessionsStreaming.remove(session) }
    }

    // MARK: Legacy subscriptions

    /// The URIs `session` subscribed to.
    func subscriptions(session: String) -> Set<String> {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.subscriptionsBySession[session] ?? []
    }

    /// Adds `uri` to `session`'s subscriptions unless it already holds `limit`; returns whether
    /// the URI is subscribed now.
    func subscribe(session: String, uri: String, limit: Int) -> Bool {
        self.lock.lock()
        defer { self.lock.unlock() }
        var uris = self.subscriptionsBySession[session] ?? []
        guard uris.contains(uri) || uris.count < limit else { return false }
        uris.insert(uri)
        self.subscriptionsBySession[session] = uris
        self.touch(session)
        return true
    }

    /// Removes `uri` from `session`'s subscriptions.
    func unsubscribe(session: String, uri: String) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.subscriptionsBySession[session]?.remove(uri)
        if self.subscriptionsBySession[session]?.isEmpty == true { self.forgetLocked(session) }
    }

    /// Forgets everything of `session` (it ended).
    func forget(session: String) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.forgetLocked(session)
    }

    private func forgetLocked(_ session: String) {
        self.subscriptionsBySession[session] = nil
        self.subscriptionOrder.removeAll { $0 == session }
    }

    private func touch(_ session: String) {
        self.subscriptionOrder.removeAll { $0 == session }
        self.subscriptionOrder.append(session)
        while self.subscriptionOrder.count > self.maxSessionsWithSubscriptions {
            self.subscriptionsBySession[self.subscriptionOrder.removeFirst()] = nil
        }
    }
}
