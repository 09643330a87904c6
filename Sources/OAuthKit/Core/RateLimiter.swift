public import Foundation
import NIOConcurrencyHelpers

/// Layered fixed-window rate limits: a key may be used at most `limit` times in each of its windows.
///
/// The counts live in count-min sketches (written here because no package in reach offers one):
/// fixed tables of counters that every key hashes into at `depth` places, its count being the
/// smallest of them. Memory stays the same whatever keys an attacker invents, a hit costs `depth`
/// table reads and writes, and a count can come out too high (when other keys share all of its
/// counters) but never too low, so no flood of invented keys lets a limited key through. Each limit
/// (``Limit/name``) and window length has tables of its own, so that hits on a generous limit
/// (tokens) cannot fill the counters of a strict one (codes for an address). The hash is seeded at
/// random per process, so nobody can aim collisions at a known key. Counters start again at zero
/// when their window ends.
public final class RateLimiter: Sendable {
    /// One window: at most `limit` uses per `seconds`.
    public struct Window: Hashable, Sendable {
        /// The window's length; windows start at multiples of it since 1970.
        public var seconds: Int
        /// The most uses allowed within one window.
        public var limit: Int

        /// Makes a window of `limit` uses per `seconds`.
        public init(seconds: Int, limit: Int) {
            self.seconds = seconds
            self.limit = limit
        }
    }

    /// A key and the windows that limit it.
    public struct Limit: Sendable {
        /// The limit the key counts against: each has counters of its own.
        public var name: String
        /// What is counted, such as a client network or an e-mail address.
        public var key: String
        /// The windows that limit the key; a hit is refused when any of them is full.
        public var windows: [Window]

        /// Makes a limit of the key `key`, counted against the limit `name`, in `windows`.
        public init(_ name: String, key: String, _ windows: [Window]) {
            self.name = name
            self.key = key
            self.windows = windows
        }
    }

    /// The counters of one limit and window length.
    private struct Table: Hashable {
        var name: String
        var seconds: Int
    }

    private struct Sketch {
        var windowStart: Int64
        var counters: [UInt32]
    }

    /// Counters per row of a sketch (a power of two).
    let width: Int
    /// Rows of a sketch: each key is counted at one place per row.
    let depth = 4
    private let seeds: (UInt64, UInt64)
    // A pthread lock, which ThreadSanitizer follows; `Mutex` waits under contention in code it cannot see.
    private let sketches = NIOLockedValueBox<[Table: Sketch]>([:])
    /// Told the name of the limit that refused, each time one does (for metrics).
    private let onRejection: (@Sendable (_ limit: String) -> Void)?

    /// A limiter with empty counters and new random hash seeds.
    /// - Parameters:
    ///   - width: counters per row, rounded up to a power of two. The default (16,384, with
    ///   four rows: 256 KB a limit and window length, about 7 MB for the authorization server's
    ///   seven limits in four windows) keeps a key's count exact unless tens of thousands of other
    ///   keys of the same limit are used in the same window.
    ///   - onRejection: told the name of the limit that refused, each time one does.
    public init(width: Int = 1 << 14, onRejection: (@Sendable (_ limit: String) -> Void)? = nil) {
        self.onRejection = onRejection
        var size = 1
        while size < width { size <<= 1 }
        self.width = size
        self.seeds = (UInt64.random(in: .min ... .max), UInt64.random(in: .min ... .max))
    }

    /// Counts one use of `key` of the limit `name` at `now`; returns the seconds to wait when a
    /// window is full, `nil` when allowed.
    public func hit(_ name: String, key: String, windows: [Window], now: Date) -> Int? {
        self.hit([Limit(name, key: key, windows)], now: now)
    }

    /// Counts one use of every key at `now` if none of their windows is full; otherwise counts
    /// nothing and returns the longest wait in seconds.
    public func hit(_ limits: [Limit], now: Date) -> Int? {
        let time = Int64(now.timeIntervalSince1970.rounded(.down))
        let places = limits.map { self.places(of: $0.key) }
        let (wait, refusing) = self.sketches.withLockedValue { sketches -> (Int?, String?) in
            var wait: Int?
            var refusing: String?
            for (limit, places) in zip(limits, places) {
                for window in limit.windows {
                    let start = time - time % Int64(window.seconds)
                    let count = Self.estimate(sketches[Table(name: limit.name, seconds: window.seconds)], start: start, places: places)
                    if count >= window.limit {
                        wait = max(wait ?? 1, Int(start + Int64(window.seconds) - time))
                        refusing = refusing ?? limit.name
                    }
                }
            }
            if let wait { return (wait, refusing) }
            for (limit, places) in zip(limits, places) {
                for window in limit.windows {
                    let start = time - time % Int64(window.seconds)
                    let table = Table(name: limit.name, seconds: window.seconds)
                    var sketch = sketches.removeValue(forKey: table) ?? Sketch(windowStart: start, counters: [])
                    if sketch.windowStart != start || sketch.counters.isEmpty {
                        sketch.windowStart = start
                        if sketch.counters.isEmpty {
                            sketch.counters = [UInt32](repeating: 0, count: self.width * self.depth)
                        } else {
                            for index in sketch.counters.indices { sketch.counters[index] = 0 }
                        }
                    }
                    // Conservative update: raise only the counters at the minimum, which keeps the
                    // estimates of other keys as low as they can be.
                    let count = places.map { sketch.counters[$0] }.min()!
                    for place in places where sketch.counters[place] == count { sketch.counters[place] = count &+ 1 }
                    sketches[table] = sketch
                }
            }
            return (nil, nil)
        }
        if let refusing { self.onRejection?(refusing) }
        return wait
    }

    /// The bytes the counters take: fixed by the width, the depth, and the limits and window lengths in use.
    public var storageBytes: Int {
        self.sketches.withLockedValue { $0.values.reduce(0) { $0 + $1.counters.count * MemoryLayout<UInt32>.size } }
    }

    private static func estimate(_ sketch: Sketch?, start: Int64, places: [Int]) -> Int {
        guard let sketch, sketch.windowStart == start, !sketch.counters.isEmpty else { return 0 }
        return Int(places.map { sketch.counters[$0] }.min()!)
    }

    /// The counter of `key` in each row: two seeded hashes combined (Kirsch–Mitzenmacher).
    private func places(of key: String) -> [Int] {
        var first = Hasher()
        first.combine(self.seeds.0)
        first.combine(key)
        var second = Hasher()
        second.combine(self.seeds.1)
        second.combine(key)
        let a = UInt64(bitPattern: Int64(first.finalize()))
        let b = UInt64(bitPattern: Int64(second.finalize())) | 1
        let mask = UInt64(self.width - 1)
        return (0..<self.depth).map { row in row * self.width + Int((a &+ UInt64(row) &* b) & mask) }
    }
}

/// The limits the authorization server applies, per minute, 15 minutes, hour and day.
public struct RateLimits: Hashable, Sendable {
    /// Codes asked for one e-mail address from one client address: tight, so that one client
    /// cannot flood a mailbox, yet it never touches what others may ask for.
    public var emailPerAddressAndClient: [RateLimiter.Window]
    /// Codes asked for one e-mail address from anywhere: loose, a ceiling on the mail one person
    /// can receive, high enough that a stranger from one client address cannot reach it.
    public var emailPerAddress: [RateLimiter.Window]
    /// Codes asked for any address from one client address.
    public var emailPerClient: [RateLimiter.Window]
    /// Login code attempts per client address.
    public var codeAttempts: [RateLimiter.Window]
    /// Client registrations per client address.
    public var registration: [RateLimiter.Window]
    /// Token requests per grant type and client address.
    public var token: [RateLimiter.Window]
    /// Client ID Metadata Document fetches per client address.
    public var metadataFetches: [RateLimiter.Window]
    /// Revocation requests per client address.
    public var revocation: [RateLimiter.Window]
    /// "Download my data" per account: each one reads everything the person keeps.
    public var accountExports: [RateLimiter.Window]

    /// Makes the limits; each defaults to ``layers(_:_:_:_:)`` with the counts in the signature.
    public init(
        emailPerAddressAndClient: [RateLimiter.Window] = Self.layers(3, 10, 20, 50),
        emailPerAddress: [RateLimiter.Window] = Self.layers(10, 40, 100, 300),
        emailPerClient: [RateLimiter.Window] = Self.layers(10, 30, 60, 200),
        codeAttempts: [RateLimiter.Window] = Self.layers(10, 30, 60, 200),
        registration: [RateLimiter.Window] = Self.layers(10, 50, 100, 500),
        token: [RateLimiter.Window] = Self.layers(60, 300, 600, 5_000),
        metadataFetches: [RateLimiter.Window] = Self.layers(10, 30, 60, 300),
        revocation: [RateLimiter.Window] = Self.layers(60, 300, 600, 5_000),
        accountExports: [RateLimiter.Window] = Self.layers(2, 5, 10, 30)
    ) {
        self.emailPerAddressAndClient = emailPerAddressAndClient
        self.emailPerAddress = emailPerAddress
        self.emailPerClient = emailPerClient
        self.codeAttempts = codeAttempts
        self.registration = registration
        self.token = token
        self.metadataFetches = metadataFetches
        self.revocation = revocation
        self.accountExports = accountExports
    }

    /// How many times a client's own limit its /48 site may use altogether.
    public static let siteFactor = 10

    /// The limits of one client address (within `qualifier`, such as a grant type): `windows` for
    /// its network (the address, or the /64 of an IPv6 address) and, for IPv6, ``siteFactor`` times as many for its /48 site,
    /// so that one site's 65,536 /64s cannot fill a limit's counters.
    public static func perClient(
        _ name: String,
        clientAddress: String,
        qualifier: String = "",
        _ windows: [RateLimiter.Window]
    ) -> [RateLimiter.Limit] {
        let key = ClientNetwork.key(of: clientAddress)
        var limits = [RateLimiter.Limit(name, key: qualifier + "|" + key, windows)]
        let site = ClientNetwork.site(of: clientAddress)
        if site != key {
            let wider = windows.map { RateLimiter.Window(seconds: $0.seconds, limit: $0.limit * self.siteFactor) }
            limits.append(RateLimiter.Limit(name + "-site", key: qualifier + "|" + site, wider))
        }
        return limits
    }

    /// Windows of a minute, 15 minutes, an hour and a day with these limits.
    public static func layers(_ minute: Int, _ quarter: Int, _ hour: Int, _ day: Int) -> [RateLimiter.Window] {
        [
            .init(seconds: 60, limit: minute), .init(seconds: 900, limit: quarter), .init(seconds: 3600, limit: hour),
            .init(seconds: 86_400, limit: day),
        ]
    }
}
