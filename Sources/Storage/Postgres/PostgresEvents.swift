public import Foundation
public import Logging
import PostgresNIO
public import ServiceLifecycle
public import TodoDomain

/// What one instance tells the others through PostgreSQL's `NOTIFY`, on one channel.
///
/// Events that follow a write (revocations, ended sessions) are sent in the transaction of that
/// write, so they are delivered exactly when it commits. Notifications are not kept: an instance
/// that was not listening for a while reads everything again (see ``PostgresEventBus``).
public enum PostgresEvent: Hashable, Sendable {
    /// Revoked access tokens, revoked grants or signing keys changed: read them again.
    case revocations
    /// A legacy MCP session ended: forget it.
    case sessionEnded(String)
    /// Stored writes to one person's todos, made through the instance `origin`.
    case todoChanges(origin: String, [TodoChange])
    /// Writes to `owner`'s todos too large to send: whoever shows them reads them again.
    case todosChanged(origin: String, owner: UserID)

    /// The channel every instance listens on.
    static let channel = "todo_server_events"
    /// PostgreSQL refuses payloads of 8,000 bytes or more.
    static let maxPayloadBytes = 7_900

    /// The notification's text.
    var payload: String {
        switch self {
        case .revocations: "revocations"
        case .sessionEnded(let id): "session\n" + id
        case .todoChanges(let origin, let changes): "todos\n\(origin)\n" + Self.encode(changes)
        case .todosChanged(let origin, let owner): "owner\n\(origin)\n" + owner.rawValue
        }
    }

    /// The event a notification's text carries; `nil` for text this version does not know.
    init?(payload: String) {
        let parts = payload.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("revocations", 1): self = .revocations
        case ("session", 2): self = .sessionEnded(parts[1])
        case ("owner", 3): self = .todosChanged(origin: parts[1], owner: UserID(parts[2]))
        case ("todos", 3):
            guard let changes = try? JSONDecoder().decode([Wire].self, from: Data(parts[2].utf8)) else { return nil }
            let valid = changes.compactMap { wire in
                wire.before != nil || wire.after != nil ? TodoChange(before: wire.before, after: wire.after) : nil
            }
            guard valid.count == changes.count else { return nil }
            self = .todoChanges(origin: parts[1], valid)
        default: return nil
        }
    }

    /// The statement that sends this event to every listening instance.
    var notification: PostgresQuery { "SELECT pg_notify(\(Self.channel), \(self.payload))" }

    /// The instance that sent a todo event.
    var origin: String? {
        switch self {
        case .todoChanges(let origin, _), .todosChanged(let origin, _): origin
        case .revocations, .sessionEnded: nil
        }
    }

    /// One change on the wire: the todo before and after.
    private struct Wire: Codable {
        var before: Todo?
        var after: Todo?
    }

    private static func encode(_ changes: [TodoChange]) -> String {
        let wire = changes.map { Wire(before: $0.before, after: $0.after) }
        return (try? String(decoding: JSONEncoder().encode(wire), as: UTF8.self)) ?? "[]"
    }

    /// The events that carry `changes` from `origin`, each small enough to send: one per change
    /// when all of them together are too large, and a ``todosChanged(origin:owner:)`` for a change
    /// too large by itself.
    static func events(for changes: [TodoChange], from origin: String) -> [PostgresEvent] {
        let all = PostgresEvent.todoChanges(origin: origin, changes)
        if all.payload.utf8.count <= Self.maxPayloadBytes { return [all] }
        return changes.map { change in
            let one = PostgresEvent.todoChanges(origin: origin, [change])
            return one.payload.utf8.count <= Self.maxPayloadBytes ? one : .todosChanged(origin: origin, owner: change.owner)
        }
    }
}

extension PostgresAppDatabase.Transaction {
    /// Sends `event` to every listening instance when this transaction commits (and never, if it rolls back).
    func notify(_ event: PostgresEvent) async throws {
        try await self.rows(event.notification)
    }
}

/// The instances' shared events: listens for them on one connection of the pool, and forwards the
/// todo changes of this instance to the others.
///
/// - Todo changes: ``publish(_:)`` passes them to this instance's feed at once, and sends them to
///   the others (in the background: a writer never waits); changes from the others go into the feed.
/// - Every other event goes to `handle`.
/// - Each time listening starts (at start, and after a lost connection), `resynchronize` runs, and
///   every subscriber of the feed is told it may have missed changes: nothing sent meanwhile is
///   ever delivered again.
///
/// ```swift
/// let bus = PostgresEventBus(database: database, feed: feed, logger: logger,
///                            handle: { event in … }, resynchronize: { … })
/// let service = TodoService(repository: PostgresTodoRepository(database), changes: bus)
/// ```
public final class PostgresEventBus: Service, TodoChangePublisher {
    /// This instance, as the origin of the changes it sends.
    public let origin: String
    private let database: PostgresAppDatabase
    private let feed: TodoChangeFeed
    private let logger: Logger
    private let handle: @Sendable (PostgresEvent) async -> Void
    private let resynchronize: @Sendable () async -> Void
    private let outgoing: AsyncStream<[TodoChange]>
    private let sender: AsyncStream<[TodoChange]>.Continuation
    /// How long to wait before listening again after the connection was lost.
    let retryDelay: Duration

    /// A bus over `database`.
    /// - Parameters:
    ///   - database: the shared database.
    ///   - feed: this instance's todo change feed.
    ///   - retryDelay: the wait before listening again after a lost connection.
    ///   - logger: where lost connections are logged.
    ///   - handle: takes every event other than todo changes.
    ///   - resynchronize: reads again whatever this instance keeps of the shared state.
    public init(
        database: PostgresAppDatabase,
        feed: TodoChangeFeed,
        retryDelay: Duration = .seconds(1),
        logger: Logger,
        handle: @escaping @Sendable (PostgresEvent) async -> Void,
        resynchronize: @escaping @Sendable () async -> Void
    ) {
        self.origin = UUID().uuidString
        self.database = database
        self.feed = feed
        self.retryDelay = retryDelay
        self.logger = logger
        self.handle = handle
        self.resynchronize = resynchronize
        // A database that does not keep up loses the oldest sends, never memory.
        (self.outgoing, self.sender) = AsyncStream.makeStream(of: [TodoChange].self, bufferingPolicy: .bufferingNewest(10_000))
    }

    public func publish(_ changes: [TodoChange]) {
        self.feed.publish(changes)
        self.sender.yield(changes)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.send() }
                group.addTask { await self.listen() }
                await group.next()
                group.cancelAll()
            }
        }
        self.sender.finish()
    }

    /// Sends this instance's changes, in order, until cancelled.
    private func send() async {
        for await changes in self.outgoing {
            for event in PostgresEvent.events(for: changes, from: self.origin) {
                do {
                    try await self.database.rows(event.notification)
                } catch {
                    self.logger.error("Todo changes could not be sent to the other instances: \(String(reflecting: error))")
                }
            }
            if Task.isCancelled { return }
        }
    }

    /// Listens until cancelled, listening again after a lost connection.
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await self.database.client.withConnection { connection in
                    try await connection.listen(on: PostgresEvent.channel) { notifications in
                        self.feed.markAllMissed()
                        await self.resynchronize()
                        for try await notification in notifications {
                            await self.receive(notification.payload)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                self.logger.warning("Listening for the other instances' events stopped; listening again: \(String(reflecting: error))")
            }
            try? await Task.sleep(for: self.retryDelay)
        }
    }

    /// Acts on one notification.
    func receive(_ payload: String) async {
        guard let event = PostgresEvent(payload: payload) else {
            self.logger.warning("An event from another instance was not understood and is ignored")
            return
        }
        if event.origin == self.origin { return }
        switch event {
        case .todoChanges(_, let changes): self.feed.publish(changes)
        case .todosChanged(_, let owner): self.feed.markMissed(owner: owner)
        case .revocations, .sessionEnded: await self.handle(event)
        }
    }
}
