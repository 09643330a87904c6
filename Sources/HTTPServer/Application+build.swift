public import Foundation
public import Hummingbird
public import Logging
public import MCPCore
public import Storage
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
public func buildApplication(
    _ configuration: ServerConfiguration,
    dependencies: AppDependencies = AppDependencies(),
    logger: Logger? = nil
) async throws -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "todo-server")
    logger.logLevel = configuration.logLevel
    let database = try dependencies.database ?? configuration.openDatabase()
    let router = try buildRouter(configuration, database: database, dependencies: dependencies, logger: logger)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "todo-server"
        ),
        logger: logger
    )
}

/// What the application gets from outside its configuration: replaced in tests, defaulted in production.
public struct AppDependencies: Sendable {
    /// Turns bearer tokens into principals. The default accepts none.
    public var authenticator: any BearerAuthenticator
    /// The source of the current time.
    public var now: @Sendable () -> Date
    /// An already open database to use instead of the one the configuration names.
    public var database: AppDatabase?

    public init(
        authenticator: any BearerAuthenticator = RejectingAuthenticator(),
        now: @escaping @Sendable () -> Date = Date.init,
        database: AppDatabase? = nil
    ) {
        self.authenticator = authenticator
        self.now = now
        self.database = database
    }
}

func buildRouter(
    _ configuration: ServerConfiguration,
    database: AppDatabase,
    dependencies: AppDependencies = AppDependencies(),
    logger: Logger = Logger(label: "todo-server")
) throws -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestIDMiddleware()
        LogRequestsMiddleware(.info)
    }
    HealthController(database: database).addRoutes(to: router)

    let todos = TodoService(repository: SQLiteTodoRepository(database), clock: WallClock(dependencies.now))
    let endpoint = MCPEndpoint(
        configuration: MCPEndpointConfiguration(
            serverInfo: ServerInfo(name: "todo-server", version: serverVersion, title: "Todo"),
            instructions: "Manage the user's todo list: list, search, create, update, complete and delete todos. Todo ids come from list_todos or create_todo.",
            resourceMetadataURL: configuration.resourceMetadataURL,
            allowedOrigins: Set([configuration.publicOrigin] + configuration.allowedOrigins),
            maxBodyBytes: configuration.maxRequestBytes,
            sessionIdleTimeout: configuration.sessionIdleTimeout
        ),
        tools: TodoTools.all(service: todos),
        authenticator: dependencies.authenticator,
        sessions: SQLiteMCPSessionStore(database),
        now: dependencies.now,
        logger: logger
    )
    MCPController(endpoint: endpoint).addRoutes(to: router, setupPage: try SetupPageController(configuration: configuration))
    return router
}

/// The server's version, as MCP `serverInfo` reports it.
let serverVersion = "0.1.0"

extension ServerConfiguration {
    /// The database this configuration names, opened and migrated.
    func openDatabase() throws -> AppDatabase {
        self.databasePath == ":memory:" ? try AppDatabase.inMemory() : try AppDatabase.open(path: self.databasePath)
    }
}
