import Foundation
import Configuration
import OAuthKit

/// The rate limits from `RATE_LIMIT_*` settings, each a comma-separated list of `COUNT/WINDOW`
/// such as `3/min,10/15min,20/h,50/day` (windows: `s`, `min`, `h`, `day`, each with an optional
/// number in front), or `off`. A limit not set keeps its default.
enum RateLimitSettings {
    /// Each setting: its key, its variable, what it limits, and where it goes.
    static var settings: [(key: String, variable: String, meaning: String, path: WritableKeyPath<RateLimits, [RateLimiter.Window]>)] {
        [
        ("rate.limit.login", "RATE_LIMIT_LOGIN", "codes asked for one address from one client address", \.emailPerAddressAndClient),
        ("rate.limit.login.address", "RATE_LIMIT_LOGIN_ADDRESS", "codes asked for one address from anywhere", \.emailPerAddress),
        ("rate.limit.login.client", "RATE_LIMIT_LOGIN_CLIENT", "codes asked for any address from one client address", \.emailPerClient),
        ("rate.limit.code", "RATE_LIMIT_CODE", "login codes typed in from one client address", \.codeAttempts),
        ("rate.limit.register", "RATE_LIMIT_REGISTER", "client registrations from one client address", \.registration),
        ("rate.limit.token", "RATE_LIMIT_TOKEN", "token requests per grant type from one client address", \.token),
        ("rate.limit.metadata", "RATE_LIMIT_METADATA", "client metadata document fetches for one client address", \.metadataFetches),
        ("rate.limit.revoke", "RATE_LIMIT_REVOKE", "revocation requests from one client address", \.revocation),
        ("rate.limit.export", "RATE_LIMIT_EXPORT", "data downloads of one account", \.accountExports),
        ]
    }

    /// The limits `reader` sets, on top of the defaults.
    static func read(_ read: (String) -> String?) throws(ConfigurationError) -> RateLimits {
        var limits = RateLimits()
        for setting in self.settings {
            guard let text = read(setting.key) else { continue }
            guard let windows = self.parse(text) else {
                throw ConfigurationError(
                    variable: setting.variable,
                    expected: "COUNT/WINDOW pairs such as 3/min,10/15min,50/day (windows s, min, h, day), or off",
                    found: text
                )
            }
            limits[keyPath: setting.path] = windows
        }
        return limits
    }

    /// `3/min,10/15min` as windows; `off` as none; `nil` when malformed.
    static func parse(_ text: String) -> [RateLimiter.Window]? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "off" { return [] }
        var windows: [RateLimiter.Window] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
            guard pair.count == 2, let count = Int(pair[0]), (1...1_000_000).contains(count) else { return nil }
            let window = pair[1]
            let digits = window.prefix { $0.isASCII && $0.isNumber }
            let multiple = digits.isEmpty ? 1 : Int(digits) ?? 0
            let unit: Int? =
                switch window.dropFirst(digits.count) {
                case "s": 1
                case "min": 60
                case "h": 3600
                case "day", "d": 86_400
                default: nil
                }
            guard let unit, (1...30).contains(multiple) || (unit == 1 && (1...86_400).contains(multiple)) else { return nil }
            // Each window length once (two would share counters), and a handful at most (each
            // takes a table of its own).
            guard !windows.contains(where: { $0.seconds == multiple * unit }), windows.count < 8 else { return nil }
            windows.append(RateLimiter.Window(seconds: multiple * unit, limit: count))
        }
        return windows.isEmpty ? nil : windows
    }

    /// The defaults in the settings' own syntax, for the documentation.
    static func describe(_ windows: [RateLimiter.Window]) -> String {
        windows.map { window in
            let (amount, unit) =
                window.seconds % 86_400 == 0
                ? (window.seconds / 86_400, "day") : window.seconds % 3600 == 0 ? (window.seconds / 3600, "h")
                : window.seconds % 60 == 0 ? (window.seconds / 60, "min") : (window.seconds, "s")
            return "\(window.limit)/\(amount == 1 ? "" : String(amount))\(unit)"
        }
        .joined(separator: ",")
    }
}
