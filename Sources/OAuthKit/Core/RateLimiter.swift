public import Foundation
import Synchronization

/// Layered fixed-window rate limits: a key may be used at most `limit` times in each of its windows.
public final class RateLimiter: Sendable {
    /// One window: at most `limit` uses per `seconds`.
    public struct Window: Hashable, Sendable {
        public var seconds: Int
        public var limit: Int

        public init(seconds: Int, limit: Int) {
            self.seconds = seconds
            self.limit = limit
        }
    }

    private struct Counter {
        var windowStart: Int64
        var count: Int
    }

    private let state = Mutex<[String: Counter]>([:])

    public init() {}

    /// Counts one use of `key` at `now`; returns the seconds to wait when a window is full, `nil` when allowed.
    public func hit(_ key: String, windows: [Window], now: Date) -> Int? {
        let time = Int64(now.timeIntervalSince1970)
        return self.state.withLock { counters in
            if counters.count > 100_000 { counters = counters.filter { $0.value.windowStart + 86_400 > time } }
            var wait: Int?
            for window in windows {
                let start = time - time % Int64(window.seconds)
                let counter = counters["\(window.seconds)|\(key)"]
                let count = counter?.windowStart == start ? counter!.count : 0
                if count >= window.limit { wait = max(wait ?? 0, Int(start + Int64(window.seconds) - time)) }
            }
            guard wait == nil else { return max(wait!, 1) }
            for window in windows {
                let start = time - time % Int64(window.seconds)
                let slot = "\(window.seconds)|\(key)"
                let count = counters[slot]?.windowStart == start ? counters[slot]!.count : 0
                counters[slot] = Counter(windowStart: start, count: count + 1)
            }
            return nil
        }
    }
}

/// The limits the authorization server applies, per minute, 15 minutes, hour and day.
public struct RateLimits: Sendable {
    /// E-mail submissions per e-mail address.
    public var emailPerAddress: [RateLimiter.Window]
    /// E-mail submissions per client address.
    public var emailPerClient: [RateLimiter.Window]
    /// Login code attempts per client address.
    public var codeAttempts: [RateLimiter.Window]
    /// Client registrations per client address.
    public var registration: [RateLimiter.Window]
    /// Token requests per grant type and client address.
    public var token: [RateLimiter.Window]

    public init(
        emailPerAddress: [RateLimiter.Window] = Self.layers(3, 10, 20, 50),
        emailPerClient: [RateLimiter.Window] = Self.layers(10, 30, 60, 200),
        codeAttempts: [RateLimiter.Window] = Self.layers(10, 30, 60, 200),
        registration: [RateLimiter.Window] = Self.layers(10, 50, 100, 500),
        token: [RateLimiter.Window] = Self.layers(60, 300, 600, 5_000)
    ) {
        self.emailPerAddress = emailPerAddress
        self.emailPerClient = emailPerClient
        self.codeAttempts = codeAttempts
        self.registration = registration
        self.token = token
    }

    /// Windows of a minute, 15 minutes, an hour and a day with these limits.
    public static func layers(_ minute: Int, _ quarter: Int, _ hour: Int, _ day: Int) -> [RateLimiter.Window] {
        [
            .init(seconds: 60, limit: minute), .init(seconds: 900, limit: quarter), .init(seconds: 3600, limit: hour),
            .init(seconds: 86_400, limit: day),
        ]
    }
}
