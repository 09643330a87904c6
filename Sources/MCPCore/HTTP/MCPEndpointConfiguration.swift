public import Foundation

/// How an MCP endpoint describes itself and which limits it applies.
public struct MCPEndpointConfiguration: Sendable {
    /// The server's name and version, sent as `serverInfo`.
    public var serverInfo: ServerInfo
    /// Guidance for the model about the server as a whole.
    public var instructions: String?
    /// Where the endpoint is served on this server, such as `/` or `/mcp`.
    public var path: String
    /// The absolute URL of the RFC 9728 protected-resource metadata, named in every 401 and 403 challenge.
    public var resourceMetadataURL: String
    /// The origins (`scheme://host[:port]`) whose browser requests are accepted. A request with
    /// another `Origin` gets 403 (DNS-rebinding protection); requests without `Origin` are not browsers'.
    public var allowedOrigins: Set<String>
    /// The largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int
    /// How long a legacy session lives without use.
    public var sessionIdleTimeout: TimeInterval
    /// How long clients may cache `tools/list` and `server/discover` results, in milliseconds.
    public var listTTLMilliseconds: Int
    /// The most legacy sessions one subject may hold; `initialize` beyond it ends the least
    /// recently used.
    public var maxSessionsPerSubject: Int
    /// The most messages a JSON-RPC batch (2025-03-26) may hold.
    public var maxBatchSize: Int
    /// The most notification streams (2026-07-28 `subscriptions/listen` and legacy GET streams)
    /// one subject may hold open at once.
    public var maxStreamsPerSubject: Int
    /// The most resources one listen stream, or one legacy session, may subscribe to.
    public var maxSubscriptionsPerStream: Int
    /// How long a notification stream stays silent before it sends a keep-alive comment (and
    /// checks that its access token still holds).
    public var keepAliveInterval: Duration
    /// The reconnection delay a legacy GET stream announces (SSE `retry`), in milliseconds.
    public var legacyRetryMilliseconds: Int

    /// Makes a configuration; the defaults suit most servers. The allowed origins are normalized (lowercased, no trailing slash).
    public init(
        serverInfo: ServerInfo,
        instructions: String? = nil,
        path: String = "/",
        resourceMetadataURL: String,
        allowedOrigins: Set<String>,
        maxBodyBytes: Int = 1 << 20,
        sessionIdleTimeout: TimeInterval = 24 * 60 * 60,
        listTTLMilliseconds: Int = 60 * 60 * 1000,
        maxSessionsPerSubject: Int = 100,
        maxBatchSize: Int = 50,
        maxStreamsPerSubject: Int = 10,
        maxSubscriptionsPerStream: Int = 100,
        keepAliveInterval: Duration = .seconds(15),
        legacyRetryMilliseconds: Int = 3000
    ) {
        self.serverInfo = serverInfo
        self.instructions = instructions
        self.path = path
        self.resourceMetadataURL = resourceMetadataURL
        self.allowedOrigins = Set(allowedOrigins.map(Self.normalizedOrigin))
        self.maxBodyBytes = maxBodyBytes
        self.sessionIdleTimeout = sessionIdleTimeout
        self.listTTLMilliseconds = listTTLMilliseconds
        self.maxSessionsPerSubject = maxSessionsPerSubject
        self.maxBatchSize = maxBatchSize
        self.maxStreamsPerSubject = maxStreamsPerSubject
        self.maxSubscriptionsPerStream = maxSubscriptionsPerStream
        self.keepAliveInterval = keepAliveInterval
        self.legacyRetryMilliseconds = legacyRetryMilliseconds
    }

    /// An origin lowercased and without a trailing slash, the form browsers send.
    static func normalizedOrigin(_ origin: String) -> String {
        var origin = origin.lowercased()
        while origin.hasSuffix("/") { origin.removeLast() }
        return origin
    }
}

/// The server's `Implementation` record.
public struct ServerInfo: Hashable, Sendable {
    /// The programmatic name of the server, such as `todo-server`.
    public var name: String
    /// The server's version, as shown to clients.
    public var version: String
    /// A name for people to read, if it differs from `name`.
    public var title: String?

    /// Makes the record; `title` is left out of `serverInfo` when `nil`.
    public init(name: String, version: String, title: String? = nil) {
        self.name = name
        self.version = version
        self.title = title
    }

    var json: JSONValue {
        var info: [String: JSONValue] = ["name": .string(self.name), "version": .string(self.version)]
        if let title = self.title { info["title"] = .string(title) }
        return .object(info)
    }
}
