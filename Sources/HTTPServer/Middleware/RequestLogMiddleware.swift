import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Logs one line per request once it is answered: method, path, query with secrets taken out,
/// status and duration, under the request id that the `X-Request-Id` header repeats.
///
/// Query values that are secrets (tokens, codes, verifiers, passwords) or personal data (e-mail
/// addresses, or any value holding an `@`) never reach the log: some clients put a token in the
/// query even though the server never reads it there.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + LogRedaction.query(query) }
        context.logger.log(
            level: self.level,
            "\(request.method) \(target) \(status.code)",
            metadata: ["http.status": "\(status.code)", "http.duration_ms": "\(String(format: "%.1f", milliseconds))"]
        )
    }
}

/// What may be logged of a request.
package enum LogRedaction {
    /// Query parameters whose values are never logged.
    static let secretNames: Set<String> = [
        "access_token", "refresh_token", "id_token", "token", "code", "code_verifier", "client_secret", "password", "secret",
        "email", "login_hint", "csrf", "key", "api_key", "apikey", "auth", "authorization", "session", "sessionid",
    ]

    /// `query` with the values of secret parameters, and of any parameter holding an `@` (plain
    /// or percent-encoded), replaced by `[redacted]`; a name holding an `@` goes too.
    package static func query(_ query: String) -> String {
        query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let holdsAddress = pair.contains("@") || pair.uppercased().contains("%40")
            guard let equals = pair.firstIndex(of: "=") else { return holdsAddress ? "[redacted]" : String(pair) }
            let name = pair[..<equals]
            if name.contains("@") || name.uppercased().contains("%40") { return "[redacted]" }
            let decodedName = (String(name).removingPercentEncoding ?? String(name)).lowercased()
            return self.secretNames.contains(decodedName) || holdsAddress ? name + "=[redacted]" : String(pair)
        }.joined(separator: "&")
    }
}
