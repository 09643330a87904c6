public import HTTPTypes

/// What an endpoint answers: the response head, a body, and for a long-lived response (such as
/// server-sent events) a stream written after the body.
///
/// MCPCore and OAuthKit both answer with it, so one small adapter writes either back through any
/// HTTP server.
public struct EndpointResponse: Sendable {
    /// Status and header fields.
    public var head: HTTPResponse
    /// The body; empty for none. With a ``stream``, the first bytes sent.
    public var body: [UInt8]
    /// What is written after ``body``, piece by piece, until it ends; `nil` for a complete response.
    public var stream: EndpointBodyStream?

    /// A response with `status`, `headerFields` and `body`, then `stream` if given.
    public init(status: HTTPResponse.Status, headerFields: HTTPFields = [:], body: [UInt8] = [], stream: EndpointBodyStream? = nil) {
        self.head = HTTPResponse(status: status, headerFields: headerFields)
        self.body = body
        self.stream = stream
    }

    /// The status.
    public var status: HTTPResponse.Status {
        get { self.head.status }
        set { self.head.status = newValue }
    }

    /// The header fields.
    public var headerFields: HTTPFields {
        get { self.head.headerFields }
        set { self.head.headerFields = newValue }
    }
}

/// A response body written piece by piece as it is produced, such as a stream of server-sent events.
///
/// A host server runs ``produce`` once, handing it a function that sends bytes to the client at
/// once (never buffering them for later); the response ends when ``produce`` returns. When the
/// client goes away, sending throws, and ``produce`` ends by rethrowing or returning. When the host
/// shuts down gracefully, or sees the connection close, it calls ``stop``, and ``produce`` soon
/// returns after sending its last words (which a closed connection never gets).
public struct EndpointBodyStream: Sendable {
    /// Writes the body through `send`; returns (or throws) when the body is complete.
    public let produce: @Sendable (_ send: ([UInt8]) async throws -> Void) async throws -> Void
    /// Asks ``produce`` to finish soon; safe to call at any time, more than once, from any thread.
    public let stop: @Sendable () -> Void

    /// A stream that `produce` writes and `stop` ends.
    public init(
        produce: @escaping @Sendable (_ send: ([UInt8]) async throws -> Void) async throws -> Void,
        stop: @escaping @Sendable () -> Void
    ) {
        self.produce = produce
        self.stop = stop
    }
}

/// The body of a request, read on demand so that an oversized one is refused without being buffered.
public protocol EndpointRequestBody: Sendable {
    /// The whole body, or `nil` when it is longer than `maxBytes`.
    func collect(upTo maxBytes: Int) async throws -> [UInt8]?
}

/// A body already in memory.
public struct BufferedBody: EndpointRequestBody {
    /// The bytes.
    public var bytes: [UInt8]

    /// A body of `bytes`.
    public init(_ bytes: [UInt8] = []) { self.bytes = bytes }

    /// A body of the UTF-8 bytes of `text`.
    public init(_ text: String) { self.bytes = Array(text.utf8) }

    public func collect(upTo maxBytes: Int) async throws -> [UInt8]? {
        self.bytes.count <= maxBytes ? self.bytes : nil
    }
}

/// What an HTTP server knows about a request besides its head and body.
public struct RequestOrigin: Sendable, Hashable {
    /// The client's IP address as the host server determined it (the peer, or the address a
    /// trusted reverse proxy reports). Rate limits key on it.
    public var clientAddress: String

    /// The origin of a request from `clientAddress`.
    public init(clientAddress: String) { self.clientAddress = clientAddress }
}

/// A transport-neutral HTTP endpoint: a request head and body in, a response out.
///
/// ``routes`` says which paths and methods it serves, so a host server can mount it next to its
/// own routes; ``handle(_:body:origin:)`` decides every status, header and body.
public protocol HTTPEndpoint: Sendable {
    /// The paths and methods this endpoint answers.
    var routes: [EndpointRoute] { get }
    /// Answers one request to a path of ``routes``.
    func handle(_ request: HTTPRequest, body: some EndpointRequestBody, origin: RequestOrigin) async -> EndpointResponse
}

/// A path an endpoint serves, with its methods.
public struct EndpointRoute: Sendable, Hashable {
    /// The path, starting with `/`.
    public var path: String
    /// Whether every path below `path` is served too.
    public var includesDescendants: Bool
    /// The methods served at the path.
    public var methods: [HTTPRequest.Method]

    /// A route of `methods` at `path` (and below it when `includesDescendants`).
    public init(_ path: String, includesDescendants: Bool = false, methods: [HTTPRequest.Method]) {
        self.path = path
        self.includesDescendants = includesDescendants
        self.methods = methods
    }

    /// Whether `path` is this route's path or, when it includes descendants, below it.
    public func matches(path: String) -> Bool {
        if path == self.path { return true }
        guard self.includesDescendants else { return false }
        let base = self.path.hasSuffix("/") ? self.path : self.path + "/"
        return path.hasPrefix(base)
    }
}

extension EndpointResponse {
    /// An HTML page that no other site may frame, that loads nothing from elsewhere and that no
    /// cache keeps.
    package static func html(_ html: String, status: HTTPResponse.Status = .ok) -> EndpointResponse {
        EndpointResponse(
            status: status,
            headerFields: [
                .contentType: "text/html; charset=utf-8",
                // No form-action: the consent form's redirect goes to the client's own (often custom-scheme) address.
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
                .xFrameOptions: "DENY",
                .xContentTypeOptions: "nosniff",
                .referrerPolicy: "no-referrer",
                .cacheControl: "no-store",
            ],
            body: Array(html.utf8)
        )
    }
}

extension HTTPField.Name {
    package static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    package static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    package static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
