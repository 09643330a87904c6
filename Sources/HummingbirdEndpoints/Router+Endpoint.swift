public import EndpointCore
import HTTPTypes
public import Hummingbird
public import NIOCore
import ServiceLifecycle

extension Router {
    /// Serves `endpoint` at its routes, next to the router's other routes, with the client's
    /// address from `clientAddress` (for example the nearest untrusted `X-Forwarded-For` hop
    /// behind a reverse proxy). Rate limits key on it, so it must tell clients apart.
    ///
    /// Every method is routed to the endpoint at its paths, so that the endpoint answers a wrong
    /// method with 405 and its `Allow` header.
    ///
    /// - Parameters:
    ///   - endpoint: an MCP endpoint, an authorization server, or any `HTTPEndpoint`.
    ///   - clientAddress: the client's IP address for a request.
    ///   - intercept: answers a request before the endpoint does when it returns a response (for
    ///     example a page for browsers at the endpoint's path).
    public func mount(
        _ endpoint: some HTTPEndpoint,
        clientAddress: @escaping @Sendable (Request, Context) -> String,
        intercept: (@Sendable (Request, Context) async throws -> Response?)? = nil
    ) {
        for route in endpoint.routes {
            let paths = route.includesDescendants ? [route.path, route.path.hasSuffix("/") ? route.path + "**" : route.path + "/**"] : [route.path]
            for path in paths {
                for method in Self.routedMethods {
                    self.on(RouterPath(path), method: method) { request, context in
                        if let intercept, let response = try await intercept(request, context) { return response }
                        let answer = await endpoint.handle(
                            request.head,
                            body: HummingbirdRequestBody(body: request.body),
                            origin: RequestOrigin(clientAddress: clientAddress(request, context))
                        )
                        if let stream = answer.stream, let connection = context as? any ConnectionRequestContext {
                            // A client that goes away ends its stream at once, not at the next write.
                            try? await connection.channel.pipeline.addHandler(ClientGoneHandler(stream.stop), position: .first).get()
                        }
                        return Response(answer)
                    }
                }
            }
        }
    }

    /// The methods routed to an endpoint (HEAD and TRACE stay with the router).
    static var routedMethods: [HTTPRequest.Method] { [.get, .post, .put, .patch, .delete, .options] }
}

extension Router where Context: RemoteAddressRequestContext {
    /// Serves `endpoint` at its routes, next to the router's other routes, with the connection's
    /// peer as the client's address.
    ///
    /// ```swift
    /// let router = Router(context: EndpointRequestContext.self)
    /// router.get("/") { _, _ in "host app" }
    /// router.mount(mcpEndpoint)
    /// router.mount(authorizationServer)
    /// ```
    ///
    /// - Parameters:
    ///   - endpoint: an MCP endpoint, an authorization server, or any `HTTPEndpoint`.
    ///   - intercept: answers a request before the endpoint does when it returns a response.
    public func mount(_ endpoint: some HTTPEndpoint, intercept: (@Sendable (Request, Context) async throws -> Response?)? = nil) {
        self.mount(endpoint, clientAddress: { _, context in context.remoteAddress?.ipAddress ?? "unknown" }, intercept: intercept)
    }
}

extension Response {
    /// The Hummingbird form of an endpoint's answer. A streamed answer is written as it comes and
    /// asked to stop when the server shuts down gracefully, so that it never holds shutdown up.
    public init(_ answer: EndpointResponse) {
        guard let stream = answer.stream else {
            self.init(
                status: answer.status,
                headers: answer.headerFields,
                body: answer.body.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
            )
            return
        }
        let first = answer.body
        self.init(
            status: answer.status,
            headers: answer.headerFields,
            body: ResponseBody { writer in
                if !first.isEmpty { try await writer.write(ByteBuffer(bytes: first)) }
                try await withGracefulShutdownHandler {
                    try await stream.produce { bytes in try await writer.write(ByteBuffer(bytes: bytes)) }
                } onGracefulShutdown: {
                    stream.stop()
                }
                try await writer.finish(nil)
            }
        )
    }
}

/// A Hummingbird request body as an endpoint reads it: collected only up to the endpoint's limit.
struct HummingbirdRequestBody: EndpointRequestBody {
    let body: RequestBody

    func collect(upTo maxBytes: Int) async throws -> [UInt8]? {
        var collected: [UInt8] = []
        for try await buffer in self.body {
            guard collected.count + buffer.readableBytes <= maxBytes else { return nil }
            collected.append(contentsOf: buffer.readableBytesView)
        }
        return collected
    }
}

/// A request context that knows the request's connection, so that a streamed answer (such as a
/// notification stream) ends as soon as its client goes away.
public protocol ConnectionRequestContext: RequestContext {
    /// The connection the request came on.
    var channel: any Channel { get }
}

/// Tells a streamed answer that its client went away: the client closed its side of the
/// connection (Hummingbird allows half-closed connections, so the connection itself stays open
/// until the answer ends) or the connection closed.
final class ClientGoneHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    private let gone: @Sendable () -> Void

    init(_ gone: @escaping @Sendable () -> Void) { self.gone = gone }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { self.gone() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.gone()
        context.fireChannelInactive()
    }
}

/// A request context that knows the connection's peer address, so that `Router.mount(_:clientAddress:intercept:)`
/// can give endpoints the client's address (rate limits key on it) without more code, and when the
/// connection closes, so that streamed answers end with it.
public struct EndpointRequestContext: RequestContext, RemoteAddressRequestContext, ConnectionRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The address of the connection's peer (the reverse proxy, when there is one).
    public let remoteAddress: SocketAddress?
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = CoreRequestContextStorage(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }
}
