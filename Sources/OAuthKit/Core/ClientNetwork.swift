#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The networks a client address stands for in rate limits.
///
/// An IPv6 subscriber usually holds a whole /64 and often a /56 or /48, so counting single IPv6
/// addresses would let one client count as billions. Limits count an IPv6 client by its /64
/// network (``key(of:)``) and, more loosely, by its /48 site (``site(of:)``).
package enum ClientNetwork {
    /// What a client's limits count under: an IPv6 address as its /64 network (`2001:db8:1:2::/64`),
    /// an IPv4-mapped IPv6 address as its IPv4 address, anything else as it is.
    package static func key(of address: String) -> String {
        self.prefix(of: address, groups: 4) ?? address
    }

    /// The /48 site of an IPv6 address (`2001:db8:1::/48`); anything else is its ``key(of:)``.
    package static func site(of address: String) -> String {
        self.prefix(of: address, groups: 3) ?? self.key(of: address)
    }

    /// The first `groups` 16-bit groups of an IPv6 address as a network, or `nil` when `address`
    /// is no IPv6 address (or one that carries an IPv4 address, which ``key(of:)`` prints plainly).
    private static func prefix(of address: String, groups: Int) -> String? {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard address.contains(":"), inet_pton(AF_INET6, address, &bytes) == 1 else { return nil }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return groups == 4 ? bytes[12..<16].map(String.init).joined(separator: ".") : nil
        }
        let words = stride(from: 0, to: groups * 2, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return words.joined(separator: ":") + "::/\(groups * 16)"
    }
}
