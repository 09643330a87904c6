public import Hummingbird
public import Logging
import Storage
import TodoDomain

/// The request context of every route.
public typealias AppRequestContext = BasicRequestContext

/// Builds the whole server from its configuration: database (migrated), services and routes.
///
/// `main` and every test call this one function, so tests run the real application.
///
/// ```swift
/// let app = try await buildApplication(ServerConfiguration(databasePath: ":memory:"))
/// try await app.test(.router) { client in
///     try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
/// }
/// ```
public func buildApplication(_ configuration: ServerConfiguration, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "todo-server")
    logger.logLevel = configuration.logLevel
    let database = try configuration.openDatabase()
    let router = try buildRouter(configuration, database: database)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "todo-server"
        ),
        logger: logger
    )
}

func buildRouter(_ configuration: ServerConfiguration, database: AppDatabase) throws -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestIDMiddleware()
        LogRequestsMiddleware(.info)
    }
    HealthController(database: database).addRoutes(to: router)
    try SetupPageController(configuration: configuration).addRoutes(to: router)
    return router
}

extension ServerConfiguration {
    /// The database this configuration names, opened and migrated.
    func openDatabase() throws -> AppDatabase {
        self.databasePath == ":memory:" ? try AppDatabase.inMemory() : try AppDatabase.open(path: self.databasePath)
    }
}
