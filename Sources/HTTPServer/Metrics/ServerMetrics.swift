import CoreMetrics
import EndpointCore
import Foundation
import HTTPTypes
import Hummingbird
import MCPCore
import NIOCore
import OAuthKit
import Prometheus
import Storage

/// The server's metrics, in a Prometheus registry of its own (so that each application, and each
/// test, counts apart): requests by route and status with latency histograms, MCP requests by
/// method, tool and outcome, sign-ins, tokens, replays and rate-limit refusals, and, read when
/// scraped, the outbox depth and the database's size and latency.
///
/// Metric objects come from swift-metrics with the registry's factory; each label set is made
/// once and then found again by the registry.
final class ServerMetrics: MCPObserver, OAuthObserver, Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: self.registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
        ]
        self.factory = factory
    }

    // MARK: HTTP

    /// One answered HTTP request: `route` is the matched route pattern (never the raw path, so a
    /// scan of random paths cannot make new series).
    func requestAnswered(route: String, method: HTTPRequest.Method, status: Int, duration: Duration) {
        let method = Self.methods.contains(method) ? method.rawValue : "other"
        let series = HTTPSeries(route: route, method: method, status: status)
        let (counter, timer) = self.handles(of: series)
        counter.increment()
        timer.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// The labels of one HTTP series. Routes and methods are few and statuses are the server's
    /// own, so the series are bounded; each is made once and then found here, which costs less
    /// than asking the registry again on every request.
    private struct HTTPSeries: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    /// The counter and histogram of `series`, made on first use.
    private func handles(of series: HTTPSeries) -> (CoreMetrics.Counter, CoreMetrics.Timer) {
        self.httpSeries.withLock { known in
            if let found = known[series] { return found }
            let made = (
                CoreMetrics.Counter(
                    label: "todo_http_requests_total",
                    dimensions: [("route", series.route), ("method", series.method), ("status", String(series.status))],
                    factory: self.factory
                ),
                CoreMetrics.Timer(
                    label: "todo_http_request_duration_seconds",
                    dimensions: [("route", series.route), ("method", series.method)],
                    factory: self.factory
                )
            )
            known[series] = made
            return made
        }
    }

    private let httpSeries = Locked<[HTTPSeries: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

    /// The methods named in labels; the parser accepts dozens more (WebDAV and the like).
    private static let methods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options]

    // MARK: MCP

    func requestAnswered(method: String, tool: String?, outcome: MCPOutcome) {
        Counter(
            label: "todo_mcp_requests_total",
            dimensions: [("method", method), ("tool", tool ?? ""), ("outcome", outcome.rawValue)],
            factory: self.factory
        ).increment()
    }

    // MARK: OAuth

    func record(_ event: OAuthEvent) {
        let (label, dimensions): (String, [(String, String)]) =
            switch event {
            case .loginCodeSent: ("todo_login_codes_sent_total", [])
            case .signIn(let succeeded): ("todo_sign_ins_total", [("outcome", succeeded ? "success" : "failure")])
            case .tokensIssued(let grantType): ("todo_tokens_issued_total", [("grant_type", grantType)])
            case .refreshReuseDetected: ("todo_refresh_token_reuse_detected_total", [])
            case .codeReplayDetected: ("todo_authorization_code_replays_detected_total", [])
            case .rateLimited(let limit): ("todo_rate_limited_total", [("limit", limit)])
            }
        Counter(label: label, dimensions: dimensions, factory: self.factory).increment()
    }

    // MARK: Scrape

    /// The text exposition, after reading the database's size, outbox depth and latency.
    func scrape(database: any MaintainedDatabase) async -> [UInt8] {
        let start = ContinuousClock.now
        let statistics = try? await database.statistics()
        let latency = ContinuousClock.now - start
        Gauge(label: "todo_database_up", factory: self.factory).record(statistics == nil ? 0 : 1)
        if let statistics {
            Gauge(label: "todo_database_size_bytes", factory: self.factory).record(statistics.sizeBytes)
            Gauge(label: "todo_mail_outbox_depth", factory: self.factory).record(statistics.outboxDepth)
            Gauge(label: "todo_database_read_seconds", factory: self.factory)
                .record(Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18)
        }
        var output: [UInt8] = []
        self.registry.emit(into: &output)
        return output
    }
}

/// Counts and times every request by its matched route.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            self.record(request, context: context, status: response.status.code, since: start)
            return response
        } catch {
            self.record(request, context: context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }

    private func record(_ request: Request, context: Context, status: Int, since start: ContinuousClock.Instant) {
        self.metrics.requestAnswered(
            // Hummingbird names unmatched requests "NotFound".
            route: context.endpointPath ?? "NotFound",
            method: request.method,
            status: status,
            duration: ContinuousClock.now - start
        )
    }
}

/// `GET /metrics` in the Prometheus text format: with `METRICS_TOKEN` set, for a bearer of it;
/// without, for loopback clients only (as the server sees them, so behind a proxy in
/// `TRUSTED_PROXIES` a client from the internet is not one).
struct MetricsController: Sendable {
    let metrics: ServerMetrics
    let database: any MaintainedDatabase
    let token: String?
    let clientAddress: @Sendable (Request, AppRequestContext) -> String

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/metrics") { request, context in
            if let token = self.token {
                let presented = request.headers[.authorization].flatMap { header in
                    header.lowercased().hasPrefix("bearer ") ? String(header.dropFirst(7)) : nil
                }
                guard let presented, constantTimeEqual(presented, token) else {
                    return Self.refusal(.unauthorized, "Send the metrics token as Authorization: Bearer <METRICS_TOKEN>.", challenge: true)
                }
            } else if !Loopback.isLoopback(self.clientAddress(request, context))
                || Self.forwardingHeaders.contains(where: { request.headers[$0] != nil })
            {
                // A request a proxy forwarded is never the machine's own, even when the proxy is
                // missing from TRUSTED_PROXIES and every client looks like 127.0.0.1.
                return Self.refusal(.forbidden, "Metrics are served to loopback clients only; set METRICS_TOKEN to read them from elsewhere.")
            }
            let body = await self.metrics.scrape(database: self.database)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
            )
        }
    }

    private static let forwardingHeaders: [HTTPField.Name] = [
        .xForwardedFor, HTTPField.Name("Forwarded")!, HTTPField.Name("X-Real-IP")!, HTTPField.Name("X-Forwarded-Host")!,
    ]

    private static func refusal(_ status: HTTPResponse.Status, _ message: String, challenge: Bool = false) -> Response {
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"]
        if challenge { headers[.wwwAuthenticate] = #"Bearer realm="metrics""# }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
