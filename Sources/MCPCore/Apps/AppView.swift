public import Crypto
public import Foundation

/// An MCP Apps view (the `io.modelcontextprotocol/ui` extension, stable revision 2026-01-26): one
/// self-contained HTML document that hosts such as Claude, VS Code and ChatGPT show in a sandboxed
/// frame beside the result of a tool linked to it.
///
/// Link it to the tools whose results it shows (``Tool/app``). The endpoint then serves it with
/// `resources/read` and `resources/list`, and announces the extension in the `initialize` and
/// `server/discover` results; nothing else needs wiring. The view gets its data from the host
/// (the tool's result, and `tools/call` relayed through the host), never from the network.
///
/// Its URI carries a hash of the HTML (`ui://todos/list@3f2a9c1e07b4`), so hosts may cache it
/// for as long as it is listed; a URI with an older hash, or none, still reads the current HTML.
///
/// ```swift
/// let view = AppView(uri: "ui://notes/list", name: "note-list", title: "Notes", html: html, prefersBorder: true)
/// let listNotes = Tool(name: "list_notes", …, app: view) { … }
/// ```
public struct AppView: Hashable, Sendable {
    /// The media type hosts render as an app view.
    public static let mimeType = "text/html;profile=mcp-app"
    /// The extension's identifier in capabilities.
    public static let extensionIdentifier = "io.modelcontextprotocol/ui"

    /// The URI without its version, such as `ui://todos/list`.
    public let baseURI: String
    /// The URI tools link to: ``baseURI``, `@` and the first 12 hex digits of the SHA-256 of the HTML.
    public let uri: String
    /// The programmatic name.
    public let name: String
    /// The display name.
    public let title: String
    /// What it shows, for people and models.
    public let description: String?
    /// The whole HTML document.
    public let html: String
    /// The origins it may load from or connect to; empty by default (it needs none).
    public let contentSecurity: AppContentSecurity
    /// Whether the host should draw a border and background around it (`nil`: the host decides).
    public let prefersBorder: Bool?

    /// A view at `uri` (a `ui://` URI without `@`) showing `html`.
    public init(
        uri: String,
        name: String,
        title: String,
        description: String? = nil,
        html: String,
        contentSecurity: AppContentSecurity = AppContentSecurity(),
        prefersBorder: Bool? = nil
    ) {
        precondition(uri.hasPrefix("ui://") && !uri.contains("@"), "An app view's URI has the ui:// scheme and no version: \(uri)")
        self.baseURI = uri
        let digest = SHA256.hash(data: Data(html.utf8))
        self.uri = uri + "@" + digest.prefix(6).map { String(format: "%02x", $0) }.joined()
        self.name = name
        self.title = title
        self.description = description
        self.html = html
        self.contentSecurity = contentSecurity
        self.prefersBorder = prefersBorder
    }

    /// Whether `uri` names this view: its current URI, its base, or its base with any other
    /// version (hosts keep asking for URIs they cached from an older build). A version is 1–64
    /// of `A-Z a-z 0-9 . _ -`, so that the URI echoed back never carries control characters,
    /// direction overrides or other text a host would show as something else.
    public func answers(_ uri: String) -> Bool {
        guard uri.utf8.starts(with: self.baseURI.utf8) else { return false }
        let rest = uri.utf8.dropFirst(self.baseURI.utf8.count)
        guard let at = rest.first else { return true }
        let version = rest.dropFirst()
        return at == UInt8(ascii: "@") && (1...64).contains(version.count)
            && version.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }

    /// The `_meta` of the resource: `ui` as the extension defines it, and the same facts under the
    /// keys ChatGPT reads.
    var resourceMeta: JSONValue {
        var ui: [String: JSONValue] = ["csp": self.contentSecurity.json]
        var openAI: [String: JSONValue] = [
            "openai/widgetCSP": [
                "connect_domains": .array(self.contentSecurity.connectDomains.map(JSONValue.string)),
                "resource_domains": .array(self.contentSecurity.resourceDomains.map(JSONValue.string)),
            ]
        ]
        if let prefersBorder = self.prefersBorder {
            ui["prefersBorder"] = .bool(prefersBorder)
            openAI["openai/widgetPrefersBorder"] = .bool(prefersBorder)
        }
        if let description = self.description { openAI["openai/widgetDescription"] = .string(description) }
        return .object(openAI.merging(["ui": .object(ui)]) { first, _ in first })
    }

    /// The view as `resources/list` shows it.
    var listing: JSONValue {
        Resource(uri: self.uri, name: self.name, title: self.title, description: self.description, mimeType: Self.mimeType, meta: self.resourceMeta)
            .json
    }

    /// The view read at `uri` (the URI asked for, which may name an older version).
    func contents(at uri: String) -> ResourceContents {
        ResourceContents(uri: uri, mimeType: Self.mimeType, text: self.html, meta: self.resourceMeta)
    }

    /// The `_meta` of a tool linked to the view: `ui.resourceUri`, the older flat key some hosts
    /// still read, and ChatGPT's.
    var toolMeta: JSONValue {
        ["ui": ["resourceUri": .string(self.uri)], "ui/resourceUri": .string(self.uri), "openai/outputTemplate": .string(self.uri)]
    }
}

/// The origins an app view may reach, which hosts turn into its Content-Security-Policy. Empty
/// lists (the default) allow nothing beyond inline script and style and `data:` images.
public struct AppContentSecurity: Hashable, Sendable {
    /// Origins for fetch, XHR and WebSocket (`connect-src`).
    public var connectDomains: [String]
    /// Origins for scripts, styles, images, fonts and media.
    public var resourceDomains: [String]
    /// Origins of nested frames (`frame-src`).
    public var frameDomains: [String]
    /// Origins allowed as the document's base URI (`base-uri`).
    public var baseURIDomains: [String]

    /// A policy allowing the given origins; by default none.
    public init(connectDomains: [String] = [], resourceDomains: [String] = [], frameDomains: [String] = [], baseURIDomains: [String] = []) {
        self.connectDomains = connectDomains
        self.resourceDomains = resourceDomains
        self.frameDomains = frameDomains
        self.baseURIDomains = baseURIDomains
    }

    var json: JSONValue {
        [
            "connectDomains": .array(self.connectDomains.map(JSONValue.string)),
            "resourceDomains": .array(self.resourceDomains.map(JSONValue.string)),
            "frameDomains": .array(self.frameDomains.map(JSONValue.string)),
            "baseUriDomains": .array(self.baseURIDomains.map(JSONValue.string)),
        ]
    }
}
