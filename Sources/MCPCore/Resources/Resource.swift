public import Foundation

/// What a server offers as resources: the ones it lists for a person, the templates of the ones it
/// can read, reading one, and (when it can) a stream of changes for live subscriptions.
///
/// Every method is asked on behalf of a principal, and a resource of another person must behave
/// exactly like one that does not exist.
public protocol ResourceProvider: Sendable {
    /// The OAuth scopes a caller must hold to list, read or subscribe.
    var requiredScopes: [String] { get }
    /// The resource templates, in the order `resources/templates/list` returns them.
    var templates: [ResourceTemplate] { get }
    /// One page of the resources `principal` may read; `cursor` is the `nextCursor` of the page
    /// before. Throws ``ResourceError`` for a cursor it did not issue.
    func list(cursor: String?, principal: Principal) async throws -> ResourcePage
    /// The contents of the resource at `uri`, or `nil` when `principal` has no such resource.
    func read(uri: String, principal: Principal) async throws -> [ResourceContents]?
    /// Whether ``changes(for:)`` reports live changes (and so subscriptions are offered).
    var notifiesChanges: Bool { get }
    /// Whether `uri` has the form of a resource whose changes ``changes(for:)`` reports, so that a
    /// subscription to it is honoured. Decided from the URI alone: whether it exists for the
    /// person is not revealed.
    func isSubscribable(uri: String) -> Bool
    /// The changes to `subject`'s resources from now on, or `nil` when the provider has no live
    /// changes. The endpoint ends the stream when its subscription closes.
    func changes(for subject: String) -> ResourceChangeStream?
}

extension ResourceProvider {
    public var notifiesChanges: Bool { false }
    public func isSubscribable(uri: String) -> Bool { false }
    public func changes(for subject: String) -> ResourceChangeStream? { nil }
}

/// A resource as `resources/list` and `resource_link` blocks describe it.
public struct Resource: Hashable, Sendable {
    /// Where it is read.
    public var uri: String
    /// The programmatic name.
    public var name: String
    /// The display name.
    public var title: String?
    /// What it holds, for the model.
    public var description: String?
    /// The media type of its main contents.
    public var mimeType: String?
    /// When it last changed.
    public var lastModified: Date?
    /// Extension data for clients, sent as `_meta`.
    public var meta: JSONValue?

    /// A resource at `uri` named `name`.
    public init(
        uri: String,
        name: String,
        title: String? = nil,
        description: String? = nil,
        mimeType: String? = nil,
        lastModified: Date? = nil,
        meta: JSONValue? = nil
    ) {
        self.uri = uri
        self.name = name
        self.title = title
        self.description = description
        self.mimeType = mimeType
        self.lastModified = lastModified
        self.meta = meta
    }

    /// The `Resource` object.
    public var json: JSONValue { .object(self.members) }

    /// The resource as a `resource_link` content block, for tool results and prompt messages.
    public var link: JSONValue {
        var block = self.members
        block["type"] = "resource_link"
        return .object(block)
    }

    private var members: [String: JSONValue] {
        var resource: [String: JSONValue] = ["uri": .string(self.uri), "name": .string(self.name)]
        if let title = self.title { resource["title"] = .string(title) }
        if let description = self.description { resource["description"] = .string(description) }
        if let mimeType = self.mimeType { resource["mimeType"] = .string(mimeType) }
        if let lastModified = self.lastModified { resource["annotations"] = ["lastModified": .string(Timestamp.iso8601(lastModified))] }
        if let meta = self.meta { resource["_meta"] = meta }
        return resource
    }
}

/// A family of resources read by filling in an RFC 6570 URI template, such as `todo://todos/{id}`.
public struct ResourceTemplate: Hashable, Sendable {
    /// The URI template.
    public var uriTemplate: String
    /// The programmatic name.
    public var name: String
    /// The display name.
    public var title: String?
    /// What the resources hold, for the model.
    public var description: String?
    /// The media type of their main contents.
    public var mimeType: String?

    /// A template `uriTemplate` named `name`.
    public init(uriTemplate: String, name: String, title: String? = nil, description: String? = nil, mimeType: String? = nil) {
        self.uriTemplate = uriTemplate
        self.name = name
        self.title = title
        self.description = description
        self.mimeType = mimeType
    }

    var json: JSONValue {
        var template: [String: JSONValue] = ["uriTemplate": .string(self.uriTemplate), "name": .string(self.name)]
        if let title = self.title { template["title"] = .string(title) }
        if let description = self.description { template["description"] = .string(description) }
        if let mimeType = self.mimeType { template["mimeType"] = .string(mimeType) }
        return .object(template)
    }
}

/// One representation of a resource read.
public struct ResourceContents: Hashable, Sendable {
    /// The resource's URI.
    public var uri: String
    /// The media type of this representation.
    public var mimeType: String
    /// The text of it.
    public var text: String
    /// Extension data for clients, sent as `_meta`.
    public var meta: JSONValue?

    /// Text contents of `uri` in `mimeType`.
    public init(uri: String, mimeType: String, text: String, meta: JSONValue? = nil) {
        self.uri = uri
        self.mimeType = mimeType
        self.text = text
        self.meta = meta
    }

    var json: JSONValue {
        var contents: [String: JSONValue] = ["uri": .string(self.uri), "mimeType": .string(self.mimeType), "text": .string(self.text)]
        if let meta = self.meta { contents["_meta"] = meta }
        return .object(contents)
    }
}

/// One page of `resources/list`.
public struct ResourcePage: Sendable {
    /// The resources of this page.
    public var resources: [Resource]
    /// The cursor of the next page, or `nil` when this page is the last.
    public var nextCursor: String?

    /// A page of `resources`, and the cursor of the next one if there are more.
    public init(resources: [Resource], nextCursor: String?) {
        self.resources = resources
        self.nextCursor = nextCursor
    }
}

/// A resource request the provider refuses (such as a cursor it did not issue); answered with
/// JSON-RPC error -32602 and this message.
public struct ResourceError: Error, Hashable, Sendable {
    /// What was wrong and how to ask correctly.
    public var message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }
}

/// A change to a person's resources, as subscriptions hear of it.
public enum ResourceChange: Hashable, Sendable {
    /// The resources at `uris` changed (read them again), and with `listChanged` the list of
    /// resources too.
    case changed(uris: [String], listChanged: Bool)
    /// Changes were missed (the subscriber fell behind): read everything again.
    case missed
}

/// The changes of one person's resources, read by one task at a time.
///
/// ``next()`` returns `nil` when the stream ended or the waiting task was cancelled; in the second
/// case the stream stays open and keeps what waits. ``end()`` ends it for good.
public struct ResourceChangeStream: Sendable {
    private let nextChange: @Sendable () async -> ResourceChange?
    private let ending: @Sendable () -> Void

    /// A stream whose changes come from `next` and which `end` ends.
    public init(next: @escaping @Sendable () async -> ResourceChange?, end: @escaping @Sendable () -> Void) {
        self.nextChange = next
        self.ending = end
    }

    /// The next change, waiting for one.
    public func next() async -> ResourceChange? { await self.nextChange() }

    /// Ends the stream: ``next()`` returns `nil` from now on.
    public func end() { self.ending() }
}
