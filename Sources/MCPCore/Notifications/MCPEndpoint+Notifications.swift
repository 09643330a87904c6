import EndpointCore
import Foundation
import HTTPTypes

/// Live notifications of changed resources: the 2026-07-28 `subscriptions/listen` stream, and the
/// legacy sessions' `resources/subscribe` with their GET stream.
///
/// Both are server-sent event streams fed by the resource provider's changes for the person who
/// opened them, and only for what they asked: the URIs they subscribed to and, when asked, the
/// list. Every stream sends a keep-alive comment when idle, and checks then that its access token
/// (and legacy session) still holds: a revoked or expired token ends the stream.
extension MCPEndpoint {

    /// The key of the subscription id in notification `_meta` (2026-07-28).
    static let subscriptionIDKey = "io.modelcontextprotocol/subscriptionId"
    static let keepAlive = Array(": keep-alive\n\n".utf8)

    // MARK: 2026-07-28

    func listen(id: JSONRPCID, params: [String: JSONValue], request: HTTPRequest, principal: Principal) -> Reply {
        guard AcceptedMediaTypes(request.headerFields.value(.accept)).eventStream else {
            return self.failure(
                id,
                .invalidRequest,
                "subscriptions/listen answers with a text/event-stream; the Accept header must allow it.",
                status: .notAcceptable
            )
        }
        guard case .object(let filter)? = params["notifications"] else {
            return self.failure(
                id,
                .invalidParams,
                "params.notifications must be an object such as {\"resourcesListChanged\": true, \"resourceSubscriptions\": [\"todo://views/open\"]}."
            )
        }
        // Tools and prompts never change while the server runs, so only resource list changes are honoured.
        for key in ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] {
            guard case let value? = filter[key], value != .null, value.boolValue == nil else { continue }
            return self.failure(id, .invalidParams, "params.notifications.\(key) must be true or false, not \(value.typeName).")
        }
        var uris: [String] = []
        switch filter["resourceSubscriptions"] {
        case nil, .null?: break
        case .array(let elements)?:
            guard elements.count <= self.configuration.maxSubscriptionsPerStream else {
                return self.failure(
                    id,
                    .invalidParams,
                    "params.notifications.resourceSubscriptions may hold at most \(self.configuration.maxSubscriptionsPerStream) URIs; it holds \(elements.count)."
                )
            }
            for element in elements {
                guard case .string(let uri) = element, !uri.isEmpty, uri.utf8.count <= Self.maxURIBytes else {
                    return self.failure(
                        id,
                        .invalidParams,
                        "params.notifications.resourceSubscriptions must hold resource URIs (strings of at most \(Self.maxURIBytes) bytes)."
                    )
                }
                if !uris.contains(uri) { uris.append(uri) }
            }
        default:
            return self.failure(id, .invalidParams, "params.notifications.resourceSubscriptions must be an array of resource URIs.")
        }
        let live = self.resources?.notifiesChanges ?? false
        let honouredURIs = live ? uris.filter { self.resources?.isSubscribable(uri: $0) ?? false } : []
        let listChanged = live && filter["resourcesListChanged"] == true
        if listChanged || !honouredURIs.isEmpty, let resources = self.resources,
            let refusal = self.scopeRefusal(needing: resources.requiredScopes, for: "Listening to resource changes", principal)
        {
            return refusal.reply
        }
        let control = StreamControl()
        guard let lease = self.streams.open(subject: principal.subject, session: nil, limit: self.configuration.maxStreamsPerSubject) else {
            return self.tooManyStreams(id)
        }

        var honoured: [String: JSONValue] = [:]
        if listChanged { honoured["resourcesListChanged"] = true }
        if !honouredURIs.isEmpty { honoured["resourceSubscriptions"] = .array(honouredURIs.map(JSONValue.string)) }
        let subscriptionID: JSONValue = ["\(Self.subscriptionIDKey)": id.json]
        let closingMeta: JSONValue = ["\(Self.subscriptionIDKey)": id.json, "\(Self.serverInfoKey)": self.configuration.serverInfo.json]
        let subscribed = Set(honouredURIs)
        let frame: @Sendable (JSONValue) -> [UInt8] = { message in Self.event(message.serialized(), name: nil) }
        let notify: @Sendable (String, [String: JSONValue]) -> [UInt8] = { method, params in
            var params = params
            params["_meta"] = subscriptionID
            return frame(["jsonrpc": "2.0", "method": .string(method), "params": .object(params)])
        }
        let token = Self.bearerToken(request) ?? ""
        let stream = self.notificationStream(
            lease: lease,
            control: control,
            opening: notify("notifications/subscriptions/acknowledged", ["notifications": .object(honoured)]),
            messages: { change in
                Self.messages(for: change, subscribed: subscribed, listChanged: listChanged).map { notify($0.method, $0.params) }
            },
            stillAuthorized: { await self.authenticator.authenticate(token: token)?.subject == principal.subject },
            closing: [
                notify("notifications/cancelled", ["requestId": id.json, "reason": "The server is shutting down; listen again."]),
                frame(["jsonrpc": "2.0", "id": id.json, "result": ["resultType": "complete", "_meta": closingMeta]]),
            ],
            expired: [
                notify("notifications/cancelled", ["requestId": id.json, "reason": "The access token expired or was revoked."]),
                frame(
                    JSONRPCError(.invalidRequest, "The access token expired or was revoked: refresh it, then listen again.").response(id: id)
                ),
            ]
        )
        return .stream(EndpointResponse(status: .ok, headerFields: Self.eventStreamHeaders, stream: stream))
    }

    // MARK: Legacy

    /// The GET stream of the legacy session `sessionID`: its subscribed resources and list changes.
    func legacyStream(_ request: HTTPRequest, sessionID: String, principal: Principal) async -> EndpointResponse {
        if let header = request.headerFields.value(.mcpProtocolVersion), !Self.legacyVersions.contains(ProtocolVersion(rawValue: header)) {
            return self.jsonResponse(
                JSONRPCError(.invalidRequest, "Unsupported MCP-Protocol-Version '\(header)' for a GET stream.").response(id: nil),
                status: .badRequest
            )
        }
        guard AcceptedMediaTypes(request.headerFields.value(.accept)).eventStream else {
            return self.jsonResponse(
                JSONRPCError(.invalidRequest, "A GET stream is a text/event-stream; the Accept header must allow it.").response(id: nil),
                status: .notAcceptable
            )
        }
        guard let session = await self.activeSession(sessionID, for: principal) else {
            return self.response(for: self.sessionNotFound(id: nil), eventStream: false)
        }
        if let resources = self.resources,
            let refusal = self.scopeRefusal(needing: resources.requiredScopes, for: "The notification stream", principal)
        {
            return self.response(for: refusal.reply, eventStream: false)
        }
        // A session has at most one GET stream: a new one (a client reconnecting) ends the one before.
        let control = StreamControl()
        guard
            let lease = self.streams.open(
                subject: principal.subject,
                session: session.id,
                limit: self.configuration.maxStreamsPerSubject,
                stop: { control.stop() }
            )
        else {
            return self.response(for: self.tooManyStreams(nil), eventStream: false)
        }
        // Event ids are unique across the session's streams: a random prefix per stream.
        let prefix = MCPSession.newID().prefix(12)
        let counter = EventCounter()
        let frame: @Sendable ([UInt8]) -> [UInt8] = { json in
            Array("id: \(prefix)-\(counter.next())\n".utf8) + Self.event(json, name: "message")
        }
        let token = Self.bearerToken(request) ?? ""
        let streams = self.streams
        let live = self.resources?.notifiesChanges ?? false
        let stream = self.notificationStream(
            lease: lease,
            control: control,
            opening: Array("id: \(prefix)-0\nretry: \(self.configuration.legacyRetryMilliseconds)\ndata: \n\n".utf8),
            messages: { change in
                Self.messages(for: change, subscribed: streams.subscriptions(session: session.id), listChanged: live).map { message in
                    frame(JSONValue.object(["jsonrpc": "2.0", "method": .string(message.method), "params": .object(message.params)]).serialized())
                }
            },
            stillAuthorized: {
                guard await self.authenticator.authenticate(token: token)?.subject == principal.subject else { return false }
                return await self.activeSession(session.id, for: principal) != nil
            },
            closing: [],
            expired: []
        )
        return EndpointResponse(status: .ok, headerFields: Self.eventStreamHeaders, stream: stream)
    }

    func subscribe(id: JSONRPCID, params: [String: JSONValue], session: MCPSession, principal: Principal, adding: Bool) -> Reply {
        let method = adding ? "resources/subscribe" : "resources/unsubscribe"
        guard let resources = self.resources, resources.notifiesChanges else {
            return self.failure(id, .methodNotFound, "Method not found: \(method)")
        }
        guard case .string(let uri)? = params["uri"], !uri.isEmpty, uri.utf8.count <= Self.maxURIBytes else {
            return self.failure(id, .invalidParams, "params.uri must be the URI of a resource, at most \(Self.maxURIBytes) bytes.")
        }
        if let refusal = self.scopeRefusal(needing: resources.requiredScopes, for: "Subscribing to resources", principal) { return refusal.reply }
        guard adding else {
            self.streams.unsubscribe(session: session.id, subject: session.subject, uri: uri)
            return self.result(id, [:], era: .legacy)
        }
        guard resources.isSubscribable(uri: uri) else {
            return self.failure(
                id,
                .invalidParams,
                "The resource \(uri) cannot be subscribed to. Call resources/list for the resources of this server.",
                data: ["uri": .string(uri)]
            )
        }
        guard self.streams.subscribe(session: session.id, subject: session.subject, uri: uri, limit: self.configuration.maxSubscriptionsPerStream)
        else {
            return self.failure(
                id,
                .invalidParams,
                "A session may subscribe to at most \(self.configuration.maxSubscriptionsPerStream) resources; unsubscribe from one first."
            )
        }
        return self.result(id, [:], era: .legacy)
    }

    // MARK: The stream

    /// The notifications a change means for a stream subscribed to `subscribed` (and to list
    /// changes when `listChanged`): never one it did not ask for.
    static func messages(for change: ResourceChange, subscribed: Set<String>, listChanged: Bool) -> [(method: String, params: [String: JSONValue])] {
        switch change {
        case .changed(let uris, let listHasChanged):
            return uris.filter(subscribed.contains).map { ("notifications/resources/updated", ["uri": .string($0)]) }
                + (listHasChanged && listChanged ? [("notifications/resources/list_changed", [:])] : [])
        case .missed:
            // Some changes were dropped: everything the stream watches may have changed.
            return (listChanged ? [("notifications/resources/list_changed", [:])] : [])
                + subscribed.sorted().map { ("notifications/resources/updated", ["uri": .string($0)]) }
        }
    }

    /// A stream that sends `opening`, then `messages` for every change of the person's resources,
    /// a keep-alive comment whenever it has been idle for the configured interval, `closing` when
    /// `control` stops it, and `expired` when `stillAuthorized` no longer holds. That is checked
    /// once per keep-alive interval, busy or idle, so a stream of a revoked token ends within one.
    private func notificationStream(
        lease: NotificationStreams.Lease,
        control: StreamControl,
        opening: [UInt8],
        messages: @escaping @Sendable (ResourceChange) -> [[UInt8]],
        stillAuthorized: @escaping @Sendable () async -> Bool,
        closing: [[UInt8]],
        expired: [[UInt8]]
    ) -> EndpointBodyStream {
        let resources = self.resources
        let interval = self.configuration.keepAliveInterval
        return EndpointBodyStream(
            produce: { send in
                defer { lease.release() }
                // Subscribed before the opening message, so nothing written after it is missed.
                let changes = resources?.changes(for: lease.subject)
                defer { changes?.end() }
                try await send(opening)
                var checked = ContinuousClock.now
                while !Task.isCancelled {
                    if control.isStopped {
                        for message in closing { try await send(message) }
                        return
                    }
                    var ended = false
                    var idle = false
                    for wake in await Self.nextWake(changes: changes, control: control, interval: interval) {
                        switch wake {
                        case .change(let change): for message in messages(change) { try await send(message) }
                        case .ended: ended = true
                        case .idle: idle = true
                        case .stop, .interrupted: break
                        }
                    }
                    if ended { return }
                    if control.isStopped { continue }  // the loop's start says goodbye
                    if ContinuousClock.now - checked >= interval {
                        checked = ContinuousClock.now
                        guard await stillAuthorized() else {
                            for message in expired { try await send(message) }
                            return
                        }
                    }
                    if idle { try await send(Self.keepAlive) }
                }
            },
            stop: { control.stop() }
        )
    }

    private enum Wake: Sendable {
        case change(ResourceChange)
        case ended
        case idle
        case stop
        case interrupted
    }

    /// Waits for the first of: a change, the keep-alive interval, the server stopping the stream.
    /// Every wake that arrived is returned, so a change that raced the others is never lost.
    private static func nextWake(changes: ResourceChangeStream?, control: StreamControl, interval: Duration) async -> [Wake] {
        await withTaskGroup(of: Wake.self) { group in
            if let changes {
                group.addTask {
                    if let change = await changes.next() { return .change(change) }
                    return Task.isCancelled ? .interrupted : .ended
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: interval)
                    return .idle
                } catch {
                    return .interrupted
                }
            }
            group.addTask {
                await control.waitUntilStopped()
                return control.isStopped ? .stop : .interrupted
            }
            var wakes: [Wake] = []
            if let first = await group.next() { wakes.append(first) }
            group.cancelAll()
            for await wake in group { wakes.append(wake) }
            return wakes
        }
    }

    private func tooManyStreams(_ id: JSONRPCID?) -> Reply {
        .message(
            JSONRPCError(
                .invalidRequest,
                "You already have \(self.configuration.maxStreamsPerSubject) notification streams open, the most allowed; close one first."
            )
            .serializedResponse(id: id),
            status: .tooManyRequests
        )
    }

    static let eventStreamHeaders: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store", .xAccelBuffering: "no"]

    /// One server-sent event carrying `json` (which never holds a line break), of type `name` when given.
    static func event(_ json: [UInt8], name: String?) -> [UInt8] {
        var event = name.map { Array("event: \($0)\n".utf8) } ?? []
        event.reserveCapacity(event.count + json.count + 8)
        event.append(contentsOf: "data: ".utf8)
        event.append(contentsOf: json)
        event.append(contentsOf: "\n\n".utf8)
        return event
    }
}

/// Whether the server asked a stream to stop, and a way to wait for that.
final class StreamControl: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var waiter: CheckedContinuation<Void, Never>?

    var isStopped: Bool {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.stopped
    }

    func stop() {
        self.lock.lock()
        self.stopped = true
        let waiter = self.waiter
        self.waiter = nil
        self.lock.unlock()
        waiter?.resume()
    }

    /// Returns once the stream is stopped, or when the waiting task is cancelled.
    func waitUntilStopped() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                self.lock.lock()
                if self.stopped || Task.isCancelled {
                    self.lock.unlock()
                    continuation.resume()
                } else {
                    let earlier = self.waiter
                    self.waiter = continuation
                    self.lock.unlock()
                    earlier?.resume()
                }
            }
        } onCancel: {
            self.lock.lock()
            let waiter = self.waiter
            self.waiter = nil
            self.lock.unlock()
            waiter?.resume()
        }
    }
}

/// Numbers the events of one stream.
final class EventCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var last = 0

    func next() -> Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.last += 1
        return self.last
    }
}
