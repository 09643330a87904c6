// Written by hand: swift-log ships only a text handler, and no JSON handler is among this
// project's packages. It writes one JSON object per line; the escaping follows RFC 8259 and is
// tested with hostile strings (quotes, backslashes, control characters, invalid-looking Unicode).

import Foundation
public import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc

    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin

    private let systemWrite = Darwin.write
#endif

/// A swift-log handler that writes each event as one JSON line, for log collectors:
/// `{"time":"…","level":"info","label":"todo-server","message":"…","source":"…", …metadata}`.
///
/// Metadata (the handler's, the provider's and the event's, later winning) becomes members of the
/// object: strings, and nested objects and arrays as they are. Keys the line itself uses cannot be
/// overwritten by metadata.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable ([UInt8]) -> Void

    /// A handler for `label` writing lines with `write` (standard output by default).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write ?? Self.standardOutput
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    /// Writes whole lines to standard output, one writer at a time (so long lines from several
    /// threads never interleave), and drops a line it cannot write rather than stop the server.
    private static let standardOutput: @Sendable ([UInt8]) -> Void = { bytes in
        outputLock.withLock {
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = systemWrite(1, buffer.baseAddress! + offset, buffer.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }
    // A pthread lock, which ThreadSanitizer follows; `Mutex` waits under contention in code it cannot see.
    private static let outputLock = NIOLock()

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let reserved: Set<String> = ["time", "level", "label", "message", "source", "error"]

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let metadata = event.metadata { merged.merge(metadata) { $1 } }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(UInt8(ascii: "{"))
        Self.member("time", Self.timeStyle.format(Date()), to: &line, first: true)
        Self.member("level", event.level.rawValue, to: &line)
        Self.member("label", self.label, to: &line)
        Self.member("message", event.message.description, to: &line)
        Self.member("source", event.source, to: &line)
        if let error = event.error { Self.member("error", "\(error)", to: &line) }
        for key in merged.keys.sorted() where !Self.reserved.contains(key) {
            line.append(UInt8(ascii: ","))
            Self.string(key, to: &line)
            line.append(UInt8(ascii: ":"))
            Self.value(merged[key]!, to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        self.write(line)
    }

    private static func member(_ key: String, _ value: String, to line: inout [UInt8], first: Bool = false) {
        if !first { line.append(UInt8(ascii: ",")) }
        self.string(key, to: &line)
        line.append(UInt8(ascii: ":"))
        self.string(value, to: &line)
    }

    private static func value(_ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        switch value {
        case .string(let text): self.string(text, to: &line)
        case .stringConvertible(let convertible): self.string(convertible.description, to: &line)
        case .array(let values):
            line.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                self.value(element, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary(let members):
            line.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                self.string(key, to: &line)
                line.append(UInt8(ascii: ":"))
                self.value(members[key]!, to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
    }

    /// `text` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t` … or `\u00XX`,
    /// and U+2028/U+2029 escaped too (some consumers treat them as line ends).
    static func string(_ text: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line.append(contentsOf: #"\""#.utf8)
            case "\\": line.append(contentsOf: #"\\"#.utf8)
            case "\n": line.append(contentsOf: #"\n"#.utf8)
            case "\r": line.append(contentsOf: #"\r"#.utf8)
            case "\t": line.append(contentsOf: #"\t"#.utf8)
            case "\u{2028}", "\u{2029}": line.append(contentsOf: String(format: "\\u%04x", scalar.value).utf8)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    line.append(contentsOf: String(format: "\\u%04x", scalar.value).utf8)
                } else {
                    line.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
