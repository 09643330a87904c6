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

    public init(status: HTTPResponse.Status, headers: HTTPFields, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
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
                return TestAnswer(status: answer.status, headers: answer.headerFields, body: answer.body)
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
