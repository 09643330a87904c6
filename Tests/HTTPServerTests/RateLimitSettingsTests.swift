import Configuration
import EndpointTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OAuthKit
import OAuthTestSupport
import Testing

@testable import HTTPServer

/// RATE_LIMIT_*: the documented syntax, the defaults the README lists, and limits that bite.
@Suite("Rate limit settings")
struct RateLimitSettingsTests {
    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> ServerConfiguration {
        try ServerConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }

    @Test("COUNT/WINDOW pairs, with numbered windows, or off")
    func parsing() {
        #expect(RateLimitSettings.parse("3/min, 10/15min") == [.init(seconds: 60, limit: 3), .init(seconds: 900, limit: 10)])
        #expect(RateLimitSettings.parse("5/30s,20/h,100/day,200/7d") == [
            .init(seconds: 30, limit: 5), .init(seconds: 3600, limit: 20), .init(seconds: 86_400, limit: 100), .init(seconds: 604_800, limit: 200),
        ])
        #expect(RateLimitSettings.parse("OFF") == [])
        for bad in ["", "3", "3/", "/min", "0/min", "-1/min", "3/minute", "3/min,", "3/0min", "3/99day", "x/min", "3/min/2", "1e3/min", "3/min,5/60s",
            (1...9).map { "\($0)/\($0)min" }.joined(separator: ",")] {
            #expect(RateLimitSettings.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("A malformed value stops start-up naming its variable; an unset one keeps its default")
    func configurationErrors() throws {
        do {
            _ = try self.configuration(["RATE_LIMIT_TOKEN": "lots"])
            Issue.record("accepted")
        } catch {
            #expect(error.variable == "RATE_LIMIT_TOKEN")
        }
        let configured = try self.configuration(["RATE_LIMIT_LOGIN": "1/min"])
        #expect(configured.rateLimits.emailPerAddressAndClient == [.init(seconds: 60, limit: 1)])
        #expect(configured.rateLimits.token == RateLimits().token)
    }

    @Test("The README lists every variable with its default")
    func readmeDefaults() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md"), encoding: .utf8)
        for setting in RateLimitSettings.settings {
            let row = "| `\(setting.variable)` | `\(RateLimitSettings.describe(RateLimits()[keyPath: setting.path]))` |"
            #expect(readme.contains(row), "\(row)")
        }
    }

    @Test("A configured limit bites, and off lifts it")
    func limitsApply() async throws {
        for (setting, expected) in [("2/min", [HTTPResponse.Status.created, .created, .tooManyRequests]), ("off", Array(repeating: .created, count: 15))] {
            var fixture = try OAuthFixture()
            fixture.configuration.rateLimits.registration = RateLimitSettings.parse(setting)!
            try await fixture.app().test(.router) { client in
                var statuses: [HTTPResponse.Status] = []
                for index in 0..<expected.count { statuses.append(try await ScriptedClient(client).register(name: "client \(index)").0) }
                #expect(statuses == expected, "\(setting)")
            }
        }
    }
}
