public import EndpointCore
public import Foundation
public import HTTPTypes
import Synchronization

/// Something tests send HTTP requests through: endpoints called directly, or a whole application.
public protocol TestTransport: Sendable {
    /// Sends one request and returns the whole answer.
    func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: [UInt8]?) async throws -> TestAnswer
}

extension TestTransport {
    /// Sends one request and hands its answer to `check`, in the style of Hummingbird's test client.
    public func execute<Value>(
        uri: String,
        method: HTTPRequest.Method,
        headers: HTTPFields = [:],
        body: [UInt8]? = nil,
        _ check: (TestAnswer) async throws -> Value
    ) async throws -> Value {
        try await check(try await self.send(uri: uri, method: method, headers: headers, body: body))
    }

    /// Sends one request with a text body and hands its answer to `check`.
    public func execute<Value>(
        uri: String,
        method: HTTPRequest.Method,
        headers: HTTPFields = [:],
        body: String,
        _ check: (TestAnswer) async throws -> Value
    ) async throws -> Value {
        try await check(try await self.send(uri: uri, method: method, headers: headers, body: Array(body.utf8)))
    }
}

/// One whole answer.
public struct TestAnswer: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: [UInt8]
    /// What a streamed answer writes after its body (endpoints called directly only).
    public var stream: EndpointBodyStream?

    public init(status: HTTPResponse.Status, headers: HTTPFields, body: [UInt8], stream: EndpointBodyStream? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: self.body, as: UTF8.self) }

    /// The body as a JSON object, or empty.
    public var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any]) ?? [:] }
}

/// Calls endpoints directly, as a host server would: the first endpoint whose routes hold the
/// request's path and method answers; others get 404 or 405. The client address is the
/// `X-Forwarded-For` header when a test sends one (as behind a trusted proxy), else `192.0.2.1`.
public struct EndpointTestClient: TestTransport {
    private let endpoints: [any HTTPEndpoint]

    public init(_ endpoints: [any HTTPEndpoint]) { self.endpoints = endpoints }

    public func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: [UInt8]?) async throws -> TestAnswer {
        let path = String(uri.prefix { $0 != "?" })
        var pathFound = false
        for endpoint in self.endpoints {
            for route in endpoint.routes where route.matches(path: path) {
                pathFound = true
                guard route.methods.contains(method) else { continue }
                let request = HTTPRequest(method: method, scheme: "https", authority: "test", path: uri, headerFields: headers)
                let answer = await endpoint.handle(
                    request,
                    body: BufferedBody(body ?? []),
                    origin: RequestOrigin(clientAddress: headers[.xForwardedFor] ?? "192.0.2.1")
                )
                return TestAnswer(status: answer.status, headers: answer.headerFields, body: answer.body, stream: answer.stream)
            }
        }
        return TestAnswer(status: pathFound ? .methodNotAllowed : .notFound, headers: [:], body: [])
    }
}

/// A clock the test moves by hand.
public final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

    public init() {}

    /// Reads the clock.
    public var now: @Sendable () -> Date { { self.current.withLock { $0 } } }

    /// Moves the clock forward.
    public func advance(seconds: TimeInterval) { self.current.withLock { $0 += seconds } }
}

/// A streamed response body run as a host server would: its pieces as they are sent, a way to
/// stop it gracefully, and a way to go away as a client does.
public final class StreamedBody: @unchecked Sendable {
    private let stream: EndpointBodyStream
    private var pieces: AsyncStream<[UInt8]>.Iterator
    private let state = State()
    private let task: Task<Void, Never>

    private final class State: Sendable {
        let gone = Mutex(false)
        let outcome = Mutex<(any Error)?>(nil)
    }

    /// Starts producing `stream`.
    public init(_ stream: EndpointBodyStream) {
        self.stream = stream
        let (pieces, continuation) = AsyncStream<[UInt8]>.makeStream()
        self.pieces = pieces.makeAsyncIterator()
        let state = self.state
        self.task = Task {
            do {
                try await stream.produce { bytes in
                    if state.gone.withLock({ $0 }) { throw CancellationError() }
                    continuation.yield(bytes)
                }
            } catch {
                state.outcome.withLock { $0 = error }
            }
            continuation.finish()
        }
    }

    /// The next piece sent, as text; `nil` once the body ended.
    public func next() async -> String? {
        await self.pieces.next().map { String(decoding: $0, as: UTF8.self) }
    }

    /// The next piece that is not a keep-alive comment.
    public func nextEvent() async -> String? {
        while let piece = await self.next() {
            if !piece.hasPrefix(":") { return piece }
        }
        return nil
    }

    /// The JSON of the next event's `data:` line.
    public func nextMessage() async -> JSONText? {
        guard let event = await self.nextEvent() else { return nil }
        let data = event.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        return data.map(JSONText.init)
    }

    /// Asks the stream to end, as a server shutting down does.
    public func stop() { self.stream.stop() }

    /// Makes every later send fail, as when the client closes the connection.
    public func disconnect() { self.state.gone.withLock { $0 = true } }

    /// Cancels the task producing the body.
    public func cancel() { self.task.cancel() }

    /// Waits until the body is complete; returns the error it ended with, if any.
    @discardableResult
    public func finished() async -> (any Error)? {
        await self.task.value
        return self.state.outcome.withLock { $0 }
    }
}

/// The text of one JSON message, for tests to parse with whatever JSON type they use.
public struct JSONText: Sendable, CustomStringConvertible {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var description: String { self.text }
}
