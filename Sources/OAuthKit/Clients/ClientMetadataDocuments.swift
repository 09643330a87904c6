import EndpointCore
public import Foundation
import HTTPTypes

/// A fetched Client ID Metadata Document.
public struct FetchedDocument: Sendable {
    /// The document's bytes, not yet parsed.
    public var body: [UInt8]
    /// How long the document may be cached, from its `Cache-Control: max-age`; `nil` when it says nothing.
    public var maxAge: TimeInterval?

    /// Makes a fetched document.
    public init(body: [UInt8], maxAge: TimeInterval?) {
        self.body = body
        self.maxAge = maxAge
    }
}

/// Fetches Client ID Metadata Documents. The implementation applies the network rules: https only,
/// timeouts, a size cap, no redirects, and no private, loopback or link-local addresses.
public protocol ClientMetadataFetcher: Sendable {
    /// The document at `url`, fetched under the network rules.
    /// - Throws: when the document cannot be fetched; the message says why.
    func fetch(_ url: URL) async throws -> FetchedDocument
}

/// A fetch that was refused or failed, with a reason a person can act on.
public struct ClientMetadataFetchError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String

    /// Makes an error with the reason `description`.
    public init(_ description: String) { self.description = description }
}

/// Client ID Metadata Documents: an https `client_id` names a JSON document that describes the client.
///
/// A document is fetched once however many requests ask for it at the same time, kept while it
/// is fresh, and handed to `onFetched` (which stores the client) only when it was fetched anew.
/// One requester (a client network) has at most one fetch under way, so that a few networks
/// cannot tie up every fetch with slow hosts.
final class ClientMetadataDocuments: Sendable {
    let fetcher: any ClientMetadataFetcher
    private let cache = Locked<[String: (client: OAuthClient, expiresAt: Date)]>([:])
    private let inFlight = Locked<(tasks: [String: Task<OAuthClient, any Error>], requesters: Set<String>)>(([:], []))

    init(fetcher: any ClientMetadataFetcher) { self.fetcher = fetcher }

    /// Whether `clientID` has the form of a metadata-document URL: https, a path, no fragment, no
    /// credentials, no dot segments.
    static func isDocumentURL(_ clientID: String) -> Bool {
        guard let components = URLComponents(string: clientID), components.scheme == "https", let host = components.host, !host.isEmpty,
            components.fragment == nil, components.user == nil, components.password == nil,
            components.path.count > 1,
            !components.path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." })
        else { return false }
        return true
    }

    /// The client of `clientID` from the cache, while it is fresh.
    func cachedClient(_ clientID: String, now: Date) -> OAuthClient? {
        guard let cached = self.cache.withLock({ $0[clientID] }), cached.expiresAt > now else { return nil }
        return cached.client
    }

    /// The client a document describes: from the cache while it is fresh, else fetched (joining a
    /// fetch of the same URL already under way), validated, passed to `onFetched` and cached.
    ///
    /// - Parameter requester: who asks (such as the client's network); a requester with a fetch of
    ///   another document still under way is refused.
    func client(
        _ clientID: String,
        now: Date,
        requester: String = "",
        onFetched: @escaping @Sendable (OAuthClient) async throws -> Void = { _ in }
    ) async throws(OAuthError) -> OAuthClient {
        if let cached = self.cachedClient(clientID, now: now) { return cached }
        let task: Task<OAuthClient, any Error>? = self.inFlight.withLock { state in
            if let running = state.tasks[clientID] { return running }
            guard state.requesters.insert(requester).inserted else { return nil }
            let task = Task {
                defer { _ = self.inFlight.withLock { $0.requesters.remove(requester) } }
                return try await self.fetch(clientID, now: now, onFetched: onFetched)
            }
            state.tasks[clientID] = task
            return task
        }
        guard let task else {
            throw OAuthError(
                .invalidClient,
                "Another client metadata document asked for from your network is still being fetched; try again in a moment."
            )
        }
        do {
            return try await task.value
        } catch let error as OAuthError {
            throw error
        } catch {
            throw OAuthError(.serverError, "The client could not be stored.", status: .internalServerError)
        }
    }

    private func fetch(_ clientID: String, now: Date, onFetched: @Sendable (OAuthClient) async throws -> Void) async throws -> OAuthClient {
        defer { _ = self.inFlight.withLock { $0.tasks.removeValue(forKey: clientID) } }
        guard let url = URL(string: clientID) else { throw OAuthError(.invalidClient, "The client_id is not a URL.") }
        let document: FetchedDocument
        do {
            document = try await self.fetcher.fetch(url)
        } catch let error as ClientMetadataFetchError {
            throw OAuthError(.invalidClient, "The client's metadata document could not be fetched: \(error.description).")
        } catch {
            throw OAuthError(.invalidClient, "The client's metadata document could not be fetched.")
        }
        let client = try Self.validate(document.body, clientID: clientID, now: now)
        try await onFetched(client)
        // Cache as the document asks, within 5 minutes and 12 hours (well inside the day after which
        // cleanup may remove an unused client row); an hour when it does not say.
        let lifetime = min(max(document.maxAge ?? 3600, 300), 43_200)
        self.cache.withLock { cache in
            if cache.count > 10_000 { cache = cache.filter { $0.value.expiresAt > now } }
            if cache.count > 10_000 { cache.removeAll() }
            cache[clientID] = (client, now.addingTimeInterval(lifetime))
        }
        return client
    }

    /// Checks a document: JSON, `client_id` equal to its URL, a name, valid redirect URIs, a public client.
    static func validate(_ body: [UInt8], clientID: String, now: Date) throws(OAuthError) -> OAuthClient {
        struct Document: Decodable {
            var client_id: String?
            var client_name: String?
            var redirect_uris: [String]?
            var token_endpoint_auth_method: String?
        }
        func invalid(_ reason: String) -> OAuthError { OAuthError(.invalidClientMetadata, "The client's metadata document \(reason)") }
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(body)) else { throw invalid("is not a JSON object.") }
        guard document.client_id == clientID else { throw invalid("names another client_id than its own URL.") }
        guard let name = document.client_name?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else {
            throw invalid("has no client_name.")
        }
        guard !name.containsControlCharacters else {
            throw invalid("has control characters in its client_name.")
        }
        guard let redirectURIs = document.redirect_uris, !redirectURIs.isEmpty else { throw invalid("lists no redirect_uris.") }
        for uri in redirectURIs { try RedirectURI.validateForRegistration(uri) }
        if let method = document.token_endpoint_auth_method, method != "none" {
            throw invalid("asks for \(method) client authentication; this server takes public clients (none) only.")
        }
        return OAuthClient(id: clientID, name: String(name.prefix(100)), redirectURIs: redirectURIs, createdAt: now)
    }
}
