import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OAuthKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fetches Client ID Metadata Documents over the network, refusing what could reach inside:
/// only https, only public addresses (checked after DNS resolution), no redirects, a 3-second
/// connect and 5-second overall timeout, and at most 64 KB.
///
/// The address check happens before the connection is made; a name whose answer changes in
/// between (DNS rebinding) is not caught by it. `allowLoopback` (for tests) admits `http` and
/// loopback addresses.
struct MetadataDocumentFetcher: ClientMetadataFetcher {
    let allowLoopback: Bool
    static let maxBytes = 64 * 1024

    /// One client for the process, like `HTTPClient.shared` but refusing redirects; it lives as
    /// long as the process, so it needs no shutdown.
    private static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(3), read: .seconds(5))
        )
    )

    func fetch(_ url: URL) async throws -> FetchedDocument {
        guard let host = url.host, !host.isEmpty else { throw ClientMetadataFetchError("the URL has no host") }
        let scheme = url.scheme?.lowercased()
        guard scheme == "https" || (self.allowLoopback && scheme == "http") else { throw ClientMetadataFetchError("only https URLs are fetched") }
        let addresses = try Self.resolve(host)
        guard !addresses.isEmpty else { throw ClientMetadataFetchError("\(host) does not resolve") }
        for address in addresses where !AddressPolicy.isPublic(address) && !(self.allowLoopback && AddressPolicy.isLoopback(address)) {
            throw ClientMetadataFetchError("\(host) resolves to the non-public address \(address)")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await Self.client.execute(request, timeout: .seconds(5))
        guard response.status == .ok else { throw ClientMetadataFetchError("the server answered \(response.status.code)") }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maxBytes)
        } catch {
            throw ClientMetadataFetchError("the document is larger than \(Self.maxBytes) bytes")
        }
        return FetchedDocument(body: Array(body.readableBytesView), maxAge: Self.maxAge(response.headers["Cache-Control"]))
    }

    /// `max-age` of a `Cache-Control` header; 0 for `no-store` or `no-cache`.
    static func maxAge(_ values: [String]) -> TimeInterval? {
        for directive in values.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            if directive == "no-store" || directive == "no-cache" { return 0 }
            if directive.hasPrefix("max-age="), let seconds = TimeInterval(directive.dropFirst(8)) { return seconds }
        }
        return nil
    }

    /// The addresses `host` resolves to, as text.
    static func resolve(_ host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { throw ClientMetadataFetchError("\(host) does not resolve") }
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

/// Which IP addresses count as public internet addresses.
enum AddressPolicy {
    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.hasPrefix("127.") || address == "::ffff:127.0.0.1"
    }

    /// Whether `address` is a public unicast address: not private, loopback, link-local, shared,
    /// multicast, reserved or unspecified.
    static func isPublic(_ address: String) -> Bool {
        var bytes = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, address, &bytes) == 1 {
            return self.isPublicIPv4(bytes[0..<4].reduce(0) { $0 << 8 | UInt32($1) })
        }
        guard inet_pton(AF_INET6, address, &bytes) == 1 else { return false }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {  // ::ffff:a.b.c.d
            return self.isPublicIPv4(bytes[12..<16].reduce(0) { $0 << 8 | UInt32($1) })
        }
        if bytes.allSatisfy({ $0 == 0 }) || bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return false }  // :: and ::1
        if bytes[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if bytes[0] == 0xFF { return false }  // multicast
        if bytes[0..<12] == [0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return false }  // 64:ff9b::/96 NAT64
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8 { return false }  // documentation
        return true
    }

    private static func isPublicIPv4(_ address: UInt32) -> Bool {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { address >> (32 - bits) == base >> (32 - bits) }
        let blocked: [(UInt32, UInt32)] = [
            (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16), (0xAC10_0000, 12),
            (0xC000_0000, 24), (0xC000_0200, 24), (0xC0A8_0000, 16), (0xC612_0000, 15), (0xC633_6400, 24), (0xCB00_7100, 24),
            (0xE000_0000, 4), (0xF000_0000, 4),
        ]
        return !blocked.contains { within($0.0, $0.1) }
    }
}
