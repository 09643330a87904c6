import Hummingbird
import Logging
import Storage

/// `GET /health`: liveness, with the database checked.
struct HealthController: Sendable {
    let database: AppDatabase

    struct Health: ResponseEncodable {
        var status: String
        var database: String
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/health") { request, context in
            let healthy: Bool
            do {
                healthy = try await self.database.isHealthy()
            } catch {
                context.logger.error("Health check failed to read the database: \(error)")
                healthy = false
            }
            let body = Health(status: healthy ? "ok" : "error", database: healthy ? "ok" : "unavailable")
            var response = try context.responseEncoder.encode(body, from: request, context: context)
            response.status = healthy ? .ok : .serviceUnavailable
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }
}
