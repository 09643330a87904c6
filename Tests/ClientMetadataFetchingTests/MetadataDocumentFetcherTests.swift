import Dispatch
import EndpointCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OAuthKit
import Synchronization
import Testing

@testable import ClientMetadataFetching

final class Lookups: Sendable {
    let names = Mutex<[String]>([])
}

/// The network rules of fetching Client ID Metadata Documents.
@Suite("Client ID Metadata Document fetching")
struct MetadataDocumentTests {
    @Test(arguments: [
        ("8.8.8.8", true), ("1.1.1.1", true), ("2606:4700::1111", true),
        ("10.1.2.3", false), ("172.16.0.1", false), ("172.31.255.255", false), ("192.168.1.1", false), ("127.0.0.1", false),
        ("169.254.169.254", false), ("100.64.0.1", false), ("0.0.0.0", false), ("224.0.0.1", false), ("255.255.255.255", false),
        ("::1", false), ("::", false), ("fe80::1", false), ("fd00::1", false), ("::ffff:10.0.0.1", false), ("::ffff:8.8.8.8", true),
        ("not an address", false), ("::7f00:1", false), ("::127.0.0.1", false), ("::8.8.8.8", false), ("64:ff9b::7f00:1", false),
        ("64:ff9b::808:808", false), ("64:ff9b:1::a00:1", false), ("2002:7f00:1::1", false), ("2002:808:808::1", false),
        ("2001::1", false), ("2001:0:4136:e378:8000:63bf:3fff:fdd2", false), ("2001:db8::1", false), ("100::1", false),
        ("fec0::1", false), ("3fff::1", false), ("ff02::1", false), ("192.88.99.1", false), ("198.18.0.1", false),
        ("2a00:1450:4001:80b::200e", true), ("2001:4860:4860::8888", true),
    ])
    func addressPolicy(_ address: String, _ isPublic: Bool) {
        #expect(AddressPolicy.isPublic(address) == isPublic)
    }

    @Test("The connection goes to the address that was checked: the name is resolved once, by our resolver only")
    func connectsToTheCheckedAddress() async throws {
        let router = Router()
        router.get("/doc") { _, _ in #"{"client_id":"x"}"# }
        let server = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await server.test(.live) { client in
            let lookups = Lookups()
            var fetcher = MetadataDocumentFetcher(allowLoopback: true)
            fetcher.resolve = { name in
                lookups.names.withLock { $0.append(name) }
                return ["127.0.0.1"]
            }
            // `.invalid` never resolves in DNS, so an answer proves nothing looked the name up again.
            let fetched = try await fetcher.fetch(URL(string: "http://rebinding.invalid:\(client.port!)/doc")!)
            #expect(fetched.body == Array(#"{"client_id":"x"}"#.utf8))
            #expect(lookups.names.withLock { $0 } == ["rebinding.invalid"])

            var rebinding = MetadataDocumentFetcher(allowLoopback: false)
            rebinding.resolve = { _ in ["93.184.216.34", "10.0.0.7"] }
            let error = await #expect(throws: ClientMetadataFetchError.self) {
                try await rebinding.fetch(URL(string: "https://mixed.invalid/doc")!)
            }
            #expect(error?.description.contains("10.0.0.7") == false, "error pages say nothing of addresses")
            #expect(error?.description.contains("public internet") == true)
        }
    }

    @Test("Lookups that never answer cannot hold Swift's threads: they run apart, end at the deadline, and are capped", .timeLimit(.minutes(1)))
    func hangingLookups() async throws {
        let release = DispatchSemaphore(value: 0)
        let resolver = HostResolver(
            lookup: { _ in
                release.wait()  // a DNS server that never answers
                return ["93.184.216.34"]
            },
            deadline: .milliseconds(200),
            maxLookups: 4
        )
        defer { for _ in 0..<4 { release.signal() } }
        let hanging = (0..<4).map { _ in Task { try await resolver.resolve("slow.invalid") } }
        // More hanging lookups than Swift has cooperative threads, yet other work still runs.
        #expect(await Task.detached { 6 * 7 }.value == 42)
        for lookup in hanging {
            let error = await #expect(throws: HostResolver.Unavailable.self) { try await lookup.value }
            #expect(error?.description.contains("too long") == true)
        }
        let refused = await #expect(throws: HostResolver.Unavailable.self) { try await resolver.resolve("another.invalid") }
        #expect(refused?.description.contains("too many") == true, "the four threads are still held")
    }

    @Test("The system resolver answers for a real name")
    func systemLookup() async throws {
        let addresses = try await MetadataDocumentFetcher.systemResolve("localhost")
        #expect(addresses.contains { Loopback.isLoopback($0) })
    }

    @Test func cacheHeaders() {
        #expect(MetadataDocumentFetcher.maxAge(["public, max-age=600"]) == 600)
        #expect(MetadataDocumentFetcher.maxAge(["no-store"]) == 0)
        #expect(MetadataDocumentFetcher.maxAge([]) == nil)
    }

    @Test("The real fetcher: no loopback, no redirects, a size cap", .timeLimit(.minutes(1)))
    func networkRules() async throws {
        let router = Router()
        router.get("/doc") { _, _ in #"{"client_id":"x"}"# }
        router.get("/redirect") { _, _ in Response(status: .found, headers: [.location: "/doc"]) }
        router.get("/large") { _, _ in String(repeating: "x", count: 70_000) }
        router.get("/missing") { _, _ in Response(status: .notFound) }
        let server = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await server.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            let strict = MetadataDocumentFetcher(allowLoopback: false)
            await #expect(throws: ClientMetadataFetchError.self) { try await strict.fetch(URL(string: base + "/doc")!) }
            await #expect(throws: ClientMetadataFetchError.self) { try await strict.fetch(URL(string: "https://127.0.0.1:\(client.port!)/doc")!) }

            let testing = MetadataDocumentFetcher(allowLoopback: true)
            let fetched = try await testing.fetch(URL(string: base + "/doc")!)
            #expect(fetched.body == Array(#"{"client_id":"x"}"#.utf8))
            await #expect(throws: ClientMetadataFetchError.self) { try await testing.fetch(URL(string: base + "/redirect")!) }
            await #expect(throws: ClientMetadataFetchError.self) { try await testing.fetch(URL(string: base + "/large")!) }
            await #expect(throws: ClientMetadataFetchError.self) { try await testing.fetch(URL(string: base + "/missing")!) }
        }
    }
}
