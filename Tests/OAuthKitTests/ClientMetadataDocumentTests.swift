import Foundation
import Synchronization
import Testing

@testable import OAuthKit

/// Client ID Metadata Documents (10.7, 10.8).
@Suite("Client metadata documents")
struct ClientMetadataDocumentTests {
    let url = "https://app.example.com/oauth/client.json"
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func document(_ fields: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: fields))
    }

    @Test(arguments: [
        ("https://app.example.com/client.json", true), ("https://app.example.com/", false), ("https://app.example.com", false),
        ("http://app.example.com/client.json", false), ("https://app.example.com/a#b", false), ("https://u:p@app.example.com/c", false),
        ("https://app.example.com/a/../c", false), ("c_abc123", false), ("https:///path", false),
    ])
    func documentURLs(_ id: String, _ expected: Bool) {
        #expect(ClientMetadataDocuments.isDocumentURL(id) == expected)
    }

    @Test func validDocument() throws {
        let client = try ClientMetadataDocuments.validate(
            self.document([
                "client_id": self.url, "client_name": "App", "redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none",
                "logo_uri": "x",
            ]),
            clientID: self.url,
            now: self.now
        )
        #expect(client.id == self.url && client.name == "App" && client.redirectURIs == ["http://127.0.0.1/cb"])
    }

    @Test(arguments: [
        (#"{"client_id":"https://other.example.com/client.json","client_name":"App","redirect_uris":["https://a.example/cb"]}"#, "another client_id"),
        (#"{"client_id":"https://app.example.com/oauth/client.json","redirect_uris":["https://a.example/cb"]}"#, "client_name"),
        (#"{"client_id":"https://app.example.com/oauth/client.json","client_name":"App"}"#, "redirect_uris"),
        (#"{"client_id":"https://app.example.com/oauth/client.json","client_name":"App","redirect_uris":["javascript:x"]}"#, "redirect URI"),
        (
            #"{"client_id":"https://app.example.com/oauth/client.json","client_name":"App","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
            "public clients"
        ),
    ])
    func invalidDocuments(_ json: String, _ message: String) {
        let error = #expect(throws: OAuthError.self) { try ClientMetadataDocuments.validate(Array(json.utf8), clientID: self.url, now: self.now) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
    }

    @Test func notJSON() {
        #expect(throws: OAuthError.self) { try ClientMetadataDocuments.validate(Array("<html>".utf8), clientID: self.url, now: self.now) }
    }

    @Test func cachedPerMaxAge() async throws {
        let fetcher = CountingFetcher(
            body: self.document(["client_id": self.url, "client_name": "App", "redirect_uris": ["https://a.example/cb"]]),
            maxAge: 600
        )
        let documents = ClientMetadataDocuments(fetcher: fetcher)
        _ = try await documents.client(self.url, now: self.now)
        _ = try await documents.client(self.url, now: self.now.addingTimeInterval(599))
        #expect(fetcher.count == 1)
        _ = try await documents.client(self.url, now: self.now.addingTimeInterval(601))
        #expect(fetcher.count == 2)
    }

    @Test func fetchFailuresAreInvalidClients() async {
        let documents = ClientMetadataDocuments(fetcher: FailingFetcher())
        let error = await #expect(throws: OAuthError.self) { try await documents.client(self.url, now: self.now) }
        #expect(error?.code == .invalidClient)
        #expect(error?.description.contains("not on the public internet") == true)
    }

    @Test("Many requests at once fetch a document once and store its client once; a cached document is not stored again")
    func oneFetchAtATime() async throws {
        let fetcher = GatedFetcher(body: self.document(["client_id": self.url, "client_name": "App", "redirect_uris": ["https://a.example/cb"]]))
        let documents = ClientMetadataDocuments(fetcher: fetcher)
        let saves = SaveCounter()
        let (url, now) = (self.url, self.now)
        try await withThrowingTaskGroup(of: OAuthClient.self) { group in
            for _ in 0..<20 {
                group.addTask { try await documents.client(url, now: now) { _ in saves.add() } }
            }
            await fetcher.waitForFirstFetch()
            for _ in 0..<100 { await Task.yield() }
            fetcher.open()
            for try await client in group { #expect(client.name == "App") }
        }
        #expect(fetcher.count == 1)
        #expect(saves.count == 1)
        _ = try await documents.client(url, now: now.addingTimeInterval(10)) { _ in saves.add() }
        #expect(saves.count == 1, "a cache hit writes nothing")
    }
}

final class SaveCounter: Sendable {
    private let value = Mutex(0)
    var count: Int { self.value.withLock { $0 } }
    func add() { self.value.withLock { $0 += 1 } }
}

@Suite("Client metadata fetches per requester")
struct MetadataFetchRequesterTests {
    @Test("A network has one fetch under way at a time; others are not held up")
    func oneFetchPerRequester() async throws {
        let fetcher = GatedFetcher(
            body: Array(#"{"client_id":"https://a.example.com/1.json","client_name":"A","redirect_uris":["https://a.example.com/cb"]}"#.utf8)
        )
        let documents = ClientMetadataDocuments(fetcher: fetcher)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = Task { try await documents.client("https://a.example.com/1.json", now: now, requester: "site-a") }
        await fetcher.waitForFirstFetch()
        let busy = await #expect(throws: OAuthError.self) {
            try await documents.client("https://b.example.com/2.json", now: now, requester: "site-a")
        }
        #expect(busy?.description.contains("still being fetched") == true)
        let other = Task { try? await documents.client("https://b.example.com/2.json", now: now, requester: "site-b") }
        fetcher.open()
        #expect(try await first.value.name == "A")
        _ = await other.value
        #expect(fetcher.count == 2, "the other network's fetch went ahead")
        // Once the first fetch is over, the network may fetch again.
        _ = try? await documents.client("https://c.example.com/3.json", now: now, requester: "site-a")
        #expect(fetcher.count == 3)
    }
}

/// Holds every fetch until `open()`, counting them.
final class GatedFetcher: ClientMetadataFetcher {
    let body: [UInt8]
    private let state = Mutex<(count: Int, isOpen: Bool, waiting: [CheckedContinuation<Void, Never>], watchers: [CheckedContinuation<Void, Never>])>(
        (0, false, [], [])
    )
    var count: Int { self.state.withLock { $0.count } }

    init(body: [UInt8]) { self.body = body }

    func fetch(_ url: URL) async throws -> FetchedDocument {
        await withCheckedContinuation { continuation in
            let resume: [CheckedContinuation<Void, Never>] = self.state.withLock { state in
                state.count += 1
                let watchers = state.watchers
                state.watchers = []
                if state.isOpen { return watchers + [continuation] }
                state.waiting.append(continuation)
                return watchers
            }
            for waiter in resume { waiter.resume() }
        }
        return FetchedDocument(body: self.body, maxAge: nil)
    }

    func waitForFirstFetch() async {
        await withCheckedContinuation { continuation in
            let started = self.state.withLock { state in
                if state.count > 0 { return true }
                state.watchers.append(continuation)
                return false
            }
            if started { continuation.resume() }
        }
    }

    func open() {
        let waiting = self.state.withLock { state in
            state.isOpen = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}

final class CountingFetcher: ClientMetadataFetcher {
    let body: [UInt8]
    let maxAge: TimeInterval?
    private let fetches = Mutex(0)
    var count: Int { self.fetches.withLock { $0 } }

    init(body: [UInt8], maxAge: TimeInterval?) {
        self.body = body
        self.maxAge = maxAge
    }

    func fetch(_ url: URL) async throws -> FetchedDocument {
        self.fetches.withLock { $0 += 1 }
        return FetchedDocument(body: self.body, maxAge: self.maxAge)
    }
}

struct FailingFetcher: ClientMetadataFetcher {
    func fetch(_ url: URL) async throws -> FetchedDocument {
        throw ClientMetadataFetchError("its host is not on the public internet")
    }
}
