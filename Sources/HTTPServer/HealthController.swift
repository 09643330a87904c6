import EndpointCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Storage

/// `GET /health`: liveness, with the database checked at most once per ``DatabaseHealth/interval``.
///
/// A load balancer may ask many times a second; the answer says whether the database answered a
/// read and had every migration applied within the last second, so the check costs one read a
/// second however often it is asked, and a request never waits for another's check.
struct HealthController: Sendable {
    let health: DatabaseHealth

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/health") { _, context in
            let healthy = await self.health.isHealthy(logger: context.logger)
            return Response(
                status: healthy ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: healthy ? Self.healthy : Self.unhealthy)
            )
        }
    }

    private static let healthy = ByteBuffer(string: #"{"database":"ok","status":"ok"}"#)
    private static let unhealthy = ByteBuffer(string: #"{"database":"unavailable","status":"error"}"#)
}

/// Whether the database is usable, remembered for ``interval``: a caller after that checks again
/// (one at a time; callers meanwhile get the last answer).
final class DatabaseHealth: Sendable {
    /// How long an answer is reused.
    static let interval: TimeInterval = 1

    private struct State {
        var checkedAt: Date?
        var healthy = false
        var checking = false
    }

    private let database: any MaintainedDatabase
    private let now: @Sendable () -> Date
    private let state = Locked(State())

    init(database: any MaintainedDatabase, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    func isHealthy(logger: Logger) async -> Bool {
        let now = self.now()
        let known: Bool? = self.state.withLock { state in
            if let checkedAt = state.checkedAt {
                // A clock that went back counts as stale, so a wrong clock cannot freeze the answer.
                let fresh = checkedAt <= now && now.timeIntervalSince(checkedAt) < Self.interval
                if fresh || state.checking { return state.healthy }
            }
            state.checking = true
            return nil
        }
        if let known { return known }
        let healthy: Bool
        do {
            healthy = try await self.database.isHealthy()
        } catch {
            logger.error("Health check failed to read the database: \(error)")
            healthy = false
        }
        self.state.withLock { state in
            state.checkedAt = now
            state.healthy = healthy
            state.checking = false
        }
        return healthy
    }
}
