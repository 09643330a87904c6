import Configuration
import EndpointTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import OAuthTestSupport
import Synchronization
import Testing

@testable import HTTPServer

/// LOG_FORMAT=json: one JSON object per line, whatever the text holds.
@Suite("JSON logs")
struct JSONLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { self.lines.withLock { $0 } }
        func handler(_ label: String) -> JSONLogHandler {
            var handler = JSONLogHandler(label: label) { bytes in self.lines.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
            handler.logLevel = .trace
            return handler
        }
    }

    static func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && line.dropLast().firstIndex(of: "\n") == nil, "one line")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("Hostile text stays one valid JSON line; metadata becomes members, and cannot replace the line's own")
    func hostileText() throws {
        let lines = Lines()
        var logger = Logger(label: "todo-server") { lines.handler($0) }
        logger[metadataKey: "request.id"] = "r1"
        let hostile = "quote \" backslash \\ newline \n return \r tab \t nul \u{0} bell \u{7} del \u{7F} sep \u{2028} emoji 👍🏽 é"
        logger.warning(
            "\(hostile)",
            metadata: ["nested": ["list": ["a", "\n"], "x": "y"], "message": "forged", "level": "debug", "key\"with\nodd": "v"]
        )
        let object = try Self.object(try #require(lines.all.first))
        #expect(object["message"] as? String == hostile)
        #expect(object["level"] as? String == "warning" && object["label"] as? String == "todo-server")
        #expect(object["request.id"] as? String == "r1")
        #expect((object["nested"] as? [String: Any])?["list"] as? [String] == ["a", "\n"])
        #expect(object["key\"with\nodd"] as? String == "v")
        #expect(object["time"] is String && object["source"] is String)
    }

    @Test("LOG_FORMAT takes text or json")
    func configuration() throws {
        func format(_ value: String) throws -> ServerConfiguration.LogFormat {
            try ServerConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: ["LOG_FORMAT": value]))).logFormat
        }
        #expect(try format("json") == .json && format("TEXT") == .text)
        #expect(throws: ConfigurationError.self) { try format("xml") }
    }

    @Test("A request is one JSON line with its id, status and duration, and no secret")
    func requestLine() async throws {
        let fixture = try OAuthFixture()
        let lines = Lines()
        var logger = Logger(label: "todo-server") { lines.handler($0) }
        logger.logLevel = .info
        let app = try await buildApplication(fixture.configuration, dependencies: .init(now: fixture.clock.now, database: fixture.database), logger: logger)
        try await app.test(.router) { client in
            let id = try await client.execute(uri: "/health?code=SECRETCODE", method: .get) { $0.headers[HTTPField.Name("X-Request-Id")!] }
            let line = try #require(lines.all.first { $0.contains("GET /health") })
            let object = try Self.object(line)
            #expect(object["hb.request.id"] as? String == id)
            #expect(object["http.status"] as? String == "200" && object["http.duration_ms"] != nil)
            #expect(!line.contains("SECRETCODE"))
        }
    }
}
