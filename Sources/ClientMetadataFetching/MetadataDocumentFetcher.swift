import AsyncHTTPClient
import EndpointCore
public import Foundation
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
public import OAuthKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fetches Client ID Metadata Documents over the network, refusing what could reach inside:
/// only https, only public addresses, no redirects, a 3-second connect and 5-second overall
/// timeout, and at most 64 KB.
///
/// The name is resolved once, on NIO's thread pool (never blocking a thread of Swift's
/// cooperative pool), every address it resolves to must be public, and the connection goes to
/// exactly the address that was checked, with TLS still verified for the name: a name whose
/// answer changes in between (DNS rebinding) gains nothing. Errors say what failed in words that
/// reveal nothing about addresses. `allowLoopback` (for tests) admits `http` and loopback
/// addresses.
///
/// ```swift
/// let server = try await AuthorizationServer.make(configuration: configuration, store: store, metadataFetcher: MetadataDocumentFetcher())
/// ```
public struct MetadataDocumentFetcher: ClientMetadataFetcher {
    let allowLoopback: Bool
    /// Resolves a host name to IP addresses as text; the system resolver unless a test replaces it.
    package var resolve: @Sendable (String) async throws -> [String] = Self.systemResolve
    let logger: Logger
    static let maxBytes = 64 * 1024

    /// Makes a fetcher that applies the network rules described on the type.
    /// - Parameters:
    ///   - allowLoopback: also fetch over http from loopback addresses (for tests only).
    ///   - logger: where refused and failed fetches are logged.
    public init(allowLoopback: Bool = false, logger: Logger = Logger(label: "client-metadata")) {
        self.allowLoopback = allowLoopback
        self.logger = logger
    }

    public func fetch(_ url: URL) async throws -> FetchedDocument {
        guard let host = url.host, !host.isEmpty else { throw ClientMetadataFetchError("the URL has no host") }
        let scheme = url.scheme?.lowercased()
        guard scheme == "https" || (self.allowLoopback && scheme == "http") else { throw ClientMetadataFetchError("only https URLs are fetched") }
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        // One message whether the name is unknown or leads inside, so that nobody can map
        // internal names through this server.
        let unreachable = ClientMetadataFetchError("its host name does not lead to a public internet address")
        let addresses: [String]
        do {
            addresses = try await self.resolve(name)
        } catch is HostResolver.Unavailable {
            throw ClientMetadataFetchError("its host name could not be looked up just now; try again in a minute")
        } catch {
            throw unreachable
        }
        guard !addresses.isEmpty else { throw unreachable }
        for address in addresses where !AddressPolicy.isPublic(address) && !(self.allowLoopback && Loopback.isLoopback(address)) {
            throw unreachable
        }
        let target = addresses.first { !$0.contains(":") } ?? addresses[0]

        // A client of its own per fetch, so that its connection goes to `target` and nowhere else.
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(3), read: .seconds(5))
        )
        configuration.dnsOverride = [name: target]
        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
        do {
            let document = try await self.get(url, with: client)
            try await client.shutdown()
            return document
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func get(_ url: URL, with client: HTTPClient) async throws -> FetchedDocument {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "Accept", value: "application/json")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(5))
        } catch {
            self.logger.debug("Client metadata document fetch failed: \(error)")
            throw ClientMetadataFetchError("its server could not be reached")
        }
        guard response.status == .ok else { throw ClientMetadataFetchError("its server answered \(response.status.code)") }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maxBytes)
        } catch {
            throw ClientMetadataFetchError("the document is larger than \(Self.maxBytes) bytes or was cut off")
        }
        return FetchedDocument(body: Array(body.readableBytesView), maxAge: Self.maxAge(response.headers["Cache-Control"]))
    }

    /// `max-age` of a `Cache-Control` header; 0 for `no-store` or `no-cache`.
    package static func maxAge(_ values: [String]) -> TimeInterval? {
        for directive in values.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            if directive == "no-store" || directive == "no-cache" { return 0 }
            if directive.hasPrefix("max-age="), let seconds = TimeInterval(directive.dropFirst(8)) { return seconds }
        }
        return nil
    }

    /// The addresses `host` resolves to, by the system resolver (see ``HostResolver``).
    package static let systemResolve: @Sendable (String) async throws -> [String] = { host in
        try await HostResolver.system.resolve(host)
    }

    /// The addresses `host` resolves to, as text; blocks its thread while the system resolver works.
    static func blockingResolve(_ host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { throw ClientMetadataFetchError("no address") }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }
}

/// Runs a blocking host-name lookup without blocking Swift's cooperative threads: on a thread
/// pool of its own, given up after a deadline, and refused while `maxLookups` lookups are still
/// under way, so that names whose DNS servers never answer tie up at most those threads.
package final class HostResolver: Sendable {
    /// The system resolver: 3 seconds, 4 lookups at once.
    static let system = HostResolver(lookup: MetadataDocumentFetcher.blockingResolve, deadline: .seconds(3), maxLookups: 4)

    private let lookup: @Sendable (String) throws -> [String]
    private let deadline: Duration
    private let maxLookups: Int
    /// Lookups under way. A NIO lock rather than `Mutex`: it is taken on the pool's threads,
    /// where ThreadSanitizer does not see `Mutex`'s futex as ordering the accesses.
    private let underWay = NIOLockedValueBox(0)
    private let pool: NIOThreadPool

    package init(lookup: @escaping @Sendable (String) throws -> [String], deadline: Duration, maxLookups: Int) {
        self.lookup = lookup
        self.deadline = deadline
        self.maxLookups = maxLookups
        self.pool = NIOThreadPool(numberOfThreads: maxLookups)
        self.pool.start()
    }

    deinit { self.pool.shutdownGracefully { _ in } }

    /// The addresses `host` resolves to; throws when the lookup fails, takes longer than the
    /// deadline, or too many are under way.
    package func resolve(_ host: String) async throws -> [String] {
        let admitted = self.underWay.withLockedValue { count in
            guard count < self.maxLookups else { return false }
            count += 1
            return true
        }
        guard admitted else { throw Unavailable(reason: "too many lookups under way") }
        let answer = Answer()
        return try await withCheckedThrowingContinuation { continuation in
            answer.wait(continuation)
            self.pool.submit { _ in
                defer { self.underWay.withLockedValue { $0 -= 1 } }
                answer.give(Result { try self.lookup(host) })
            }
            answer.expire(after: self.deadline)
        }
    }

    /// The lookup could not be done now (too many under way, or past the deadline); the name may
    /// well be fine.
    package struct Unavailable: Error, CustomStringConvertible {
        var reason: String
        package var description: String { self.reason }
    }

    /// Whichever comes first, the lookup or the deadline, resumes the waiting task; the other is dropped.
    private final class Answer: Sendable {
        private let state = NIOLockedValueBox<(waiting: CheckedContinuation<[String], any Error>?, deadline: Task<Void, Never>?)>((nil, nil))

        func wait(_ continuation: CheckedContinuation<[String], any Error>) { self.state.withLockedValue { $0.waiting = continuation } }

        func expire(after deadline: Duration) {
            let timer = Task {
                try? await Task.sleep(for: deadline)
                if !Task.isCancelled { self.give(.failure(Unavailable(reason: "the lookup took too long"))) }
            }
            let answered = self.state.withLockedValue { state in
                state.deadline = timer
                return state.waiting == nil
            }
            if answered { timer.cancel() }
        }

        func give(_ result: Result<[String], any Error>) {
            let timer = self.state.withLockedValue { state in
                state.waiting?.resume(with: result)
                state.waiting = nil
                defer { state.deadline = nil }
                return state.deadline
            }
            timer?.cancel()
        }
    }
}

/// Which IP addresses count as public internet addresses.
package enum AddressPolicy {
    /// Whether `address` is a public unicast address: not private, loopback, link-local, shared,
    /// multicast, reserved, documentation or unspecified, and no IPv6 form that carries an IPv4
    /// address inside (IPv4-compatible, NAT64, 6to4, Teredo) or reaches one through a translator.
    package static func isPublic(_ address: String) -> Bool {
        var bytes = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, address, &bytes) == 1 {
            return self.isPublicIPv4(bytes[0..<4].reduce(0) { $0 << 8 | UInt32($1) })
        }
        guard inet_pton(AF_INET6, address, &bytes) == 1 else { return false }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {  // ::ffff:a.b.c.d
            return self.isPublicIPv4(bytes[12..<16].reduce(0) { $0 << 8 | UInt32($1) })
        }
        // Only global unicast (2000::/3) is public; within it, the ranges that embed or translate
        // IPv4 addresses, or are reserved, are not.
        guard bytes[0] & 0xE0 == 0x20 else { return false }
        let first16 = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let second16 = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        if first16 == 0x2001 && second16 < 0x0200 { return false }  // 2001::/23 IETF protocol assignments (Teredo 2001::/32, ORCHID…)
        if first16 == 0x2001 && second16 == 0x0DB8 { return false }  // 2001:db8::/32 documentation
        if first16 == 0x2002 { return false }  // 2002::/16 6to4
        if first16 == 0x3FFF && second16 < 0x1000 { return false }  // 3fff::/20 documentation
        return true
    }

    private static func isPublicIPv4(_ address: UInt32) -> Bool {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { address >> (32 - bits) == base >> (32 - bits) }
        let blocked: [(UInt32, UInt32)] = [
            (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16), (0xAC10_0000, 12),
            (0xC000_0000, 24), (0xC000_0200, 24), (0xC058_6300, 24), (0xC0A8_0000, 16), (0xC612_0000, 15), (0xC633_6400, 24),
            (0xCB00_7100, 24), (0xE000_0000, 4), (0xF000_0000, 4),
        ]
        return !blocked.contains { within($0.0, $0.1) }
    }
}
