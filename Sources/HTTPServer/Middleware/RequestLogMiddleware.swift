import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Logs one line per request once it is answered: method, path, query with secrets taken out,
/// status, duration and the client's address (behind a trusted proxy, the one it forwarded), under
/// the request id that the `X-Request-Id` header repeats.
///
/// Only the values of a few known, harmless query parameters are logged; every other value (tokens,
/// codes, e-mail addresses, whatever a client put in the query) becomes `[redacted]`.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level
    /// The client's address, as rate limits see it.
    var clientAddress: (@Sendable (Request, Context) -> String)?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Nothing to measure or format when the line would not be written.
        guard context.logger.logLevel <= self.level else { return try await next(request, context) }
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            self.log(request, status: response.status, since: start, context: context)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            self.log(request, status: status, since: start, context: context)
            throw error
        }
    }

    private func log(_ request: Request, status: HTTPResponse.Status, since start: ContinuousClock.Instant, context: Context) {
        let tenths = (ContinuousClock.now - start) / .microseconds(100)  // of a millisecond
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + LogRedaction.query(query) }
        var metadata: Logger.Metadata = ["http.status": "\(status.code)", "http.duration_ms": "\(Int(tenths) / 10).\(Int(tenths) % 10)"]
        if let clientAddress { metadata["client.address"] = "\(clientAddress(request, context))" }
        context.logger.log(level: self.level, "\(request.method) \(target) \(status.code)", metadata: metadata)
    }
}

/// What may be logged of a request.
package enum LogRedaction {
    /// Query parameters whose values are logged: they name things, never secrets or people.
    static let loggedNames: Set<String> = [
        "response_type", "client_id", "redirect_uri", "scope", "resource", "code_challenge_method", "grant_type", "prompt",
        "status", "limit",
    ]

    /// `query` with every value but those of ``loggedNames`` replaced by `[redacted]`, and those
    /// too when they hold an `@` (plain or percent-encoded); a name that is not plain ASCII
    /// letters, digits, `_`, `-` or `.` is replaced as well.
    package static func query(_ query: String) -> String {
        query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let equals = pair.firstIndex(of: "=") ?? pair.endIndex
            let name = pair[..<equals]
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isPlainNameByte)
            else { return "[redacted]" }
            guard equals < pair.endIndex else { return String(name) }
            let value = pair[pair.index(after: equals)...]
            let holdsAddress = value.contains("@") || value.uppercased().contains("%40")
            return self.loggedNames.contains(name.lowercased()) && !holdsAddress ? String(pair) : name + "=[redacted]"
        }.joined(separator: "&")
    }

    private static func isPlainNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }
}
