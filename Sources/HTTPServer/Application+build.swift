import ClientMetadataFetching
public import Foundation
public import Hummingbird
import HummingbirdCore
import HummingbirdEndpoints
public import Logging
public import MCPCore
public import MailDelivery
import NIOCore
public import OAuthKit
import ServiceLifecycle
public import Storage
import TodoDomain
import TodoMCP

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
    let database: ServerDatabase
    if let postgres = dependencies.postgres {
        database = .postgres(postgres)
    } else if let sqlite = dependencies.database {
        database = .sqlite(sqlite)
    } else {
        database = try await configuration.openDatabase(logger: logger)
    }
    let server = try await buildServer(configuration, database: database, dependencies: dependencies, logger: logger)
    // With PostgreSQL, one instance at a time cleans; the others skip their pass.
    let cleanup = CleanupService(
        database: database.maintained,
        interval: .seconds(600),
        sessionIdleTimeout: configuration.sessionIdleTimeout,
        now: dependencies.now,
        logger: logger
    )
    // Revocations and signing keys written by admin commands (or, with PostgreSQL, by another
    // instance whose event was lost) reach this process within seconds.
    let (authorizationServer, reloadLogger) = (server.authorizationServer, logger)
    let reload = PeriodicService(interval: .seconds(2)) { await authorizationServer.reload(logger: reloadLogger) }
    // The database comes first, so that it stops last, after every service that uses it.
    var services: [any Service]
    switch database {
    case .sqlite(let sqlite): services = [CheckpointService(database: sqlite, interval: .milliseconds(100), logger: logger)]
    case .postgres(let postgres): services = [postgres]
    }
    services += [cleanup, reload] + server.services
    if dependencies.loginCodeDelivery == nil, !configuration.demoMode, let smtp = configuration.smtp {
        services.append(
            MailOutboxWorker(
                outbox: database.mailOutbox,
                sender: dependencies.mailSender ?? MsmtpSender(settings: smtp),
                now: dependencies.now,
                logger: logger
            )
        )
    }
    if configuration.demoMode && !configuration.isLoopback {
        logger.warning(
            "Demo mode is on at a public URL: login codes are shown on the page, so anyone can sign in as anyone. Set SMTP_HOST and DEMO_MODE=false for real use."
        )
    }
    let readTimeout = TimeAmount.milliseconds(Int64(configuration.readTimeout * 1000))
    return Application(
        router: server.router,
        server: .http1(
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [RequestReadTimeoutHandler(timeout: readTimeout), WriteStallTimeoutHandler(timeout: readTimeout)],
                idleTimeout: .milliseconds(Int64(configuration.idleTimeout * 1000))
            )
        ),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "todo-server"
        ),
        services: services,
        logger: logger
    )
}

/// What the application gets from outside its configuration: replaced in tests, defaulted in production.
public struct AppDependencies: Sendable {
    /// Turns bearer tokens into principals instead of the server's own access-token check.
    public var authenticator: (any BearerAuthenticator)?
    /// The source of the current time.
    public var now: @Sendable () -> Date
    /// The source of random bytes for codes, tokens and keys.
    public var randomBytes: @Sendable (Int) -> [UInt8]
    /// Delivers login codes; by default, the configuration decides: nothing in demo mode (the page
    /// shows the code), else e-mail through the outbox and the configured relay.
    public var loginCodeDelivery: (any LoginCodeDelivery)?
    /// Hands the outbox's e-mails to a relay; by default msmtp with the configured relay.
    public var mailSender: (any MailSender)?
    /// Fetches Client ID Metadata Documents; by default over the network, with SSRF protection.
    public var metadataFetcher: (any ClientMetadataFetcher)?
    /// An already open database to use instead of the one the configuration names.
    public var database: AppDatabase?
    /// An already open PostgreSQL database to use instead of the one the configuration names.
    public var postgres: PostgresAppDatabase?

    /// The production dependencies; a test replaces only what it needs, `nil` meaning the server's own.
    public init(
        authenticator: (any BearerAuthenticator)? = nil,
        now: @escaping @Sendable () -> Date = Date.init,
        randomBytes: @escaping @Sendable (Int) -> [UInt8] = OAuthEnvironment.systemRandomBytes,
        loginCodeDelivery: (any LoginCodeDelivery)? = nil,
        mailSender: (any MailSender)? = nil,
        metadataFetcher: (any ClientMetadataFetcher)? = nil,
        database: AppDatabase? = nil,
        postgres: PostgresAppDatabase? = nil
    ) {
        self.authenticator = authenticator
        self.now = now
        self.randomBytes = randomBytes
        self.loginCodeDelivery = loginCodeDelivery
        self.mailSender = mailSender
        self.metadataFetcher = metadataFetcher
        self.database = database
        self.postgres = postgres
    }
}

func buildRouter(
    _ configuration: ServerConfiguration,
    database: AppDatabase,
    dependencies: AppDependencies = AppDependencies(),
    logger: Logger = Logger(label: "todo-server")
) async throws -> Router<AppRequestContext> {
    try await buildServer(configuration, database: .sqlite(database), dependencies: dependencies, logger: logger).router
}

/// The routes, the authorization server behind them (whose shared state a service reloads), and
/// the services they need running.
func buildServer(
    _ configuration: ServerConfiguration,
    database: ServerDatabase,
    dependencies: AppDependencies = AppDependencies(),
    logger: Logger = Logger(label: "todo-server")
) async throws -> (router: Router<AppRequestContext>, authorizationServer: AuthorizationServer, services: [any Service]) {
    let router = Router(context: AppRequestContext.self)
    let clientAddresses = ClientAddressResolver(trustedProxies: Set(configuration.trustedProxies))
    let metrics = ServerMetrics()
    router.addMiddleware {
        RequestIDMiddleware()
        RequestLogMiddleware(level: .info) { clientAddresses.address(of: $0, context: $1) }
        MetricsMiddleware(metrics: metrics)
    }
    HealthController(health: DatabaseHealth(database: database.maintained, now: dependencies.now)).addRoutes(to: router)
    MetricsController(metrics: metrics, database: database.maintained, token: configuration.metricsToken) {
        clientAddresses.address(of: $0, context: $1)
    }
    .addRoutes(to: router)

    let oauthStore = database.oauthStore
    let todoRepository = database.todoRepository
    let authorizationServer = try await AuthorizationServer.make(
        configuration: OAuthConfiguration(
            issuer: configuration.mcpURL,
            resource: configuration.resource,
            scopes: todoScopes,
            resourceName: "Todos",
            accessTokenLifetime: configuration.accessTokenLifetime,
            refreshTokenLifetime: configuration.refreshTokenLifetime,
            demoMode: configuration.demoMode,
            secureCookies: configuration.isHTTPS
        ),
        clients: oauthStore,
        accounts: oauthStore,
        loginCodes: oauthStore,
        grants: oauthStore,
        keys: oauthStore,
        configuredKeys: configuration.signingKeys,
        delivery: try dependencies.loginCodeDelivery ?? configuration.loginCodeDelivery(outbox: database.mailOutbox, now: dependencies.now),
        metadataFetcher: dependencies.metadataFetcher ?? MetadataDocumentFetcher(allowLoopback: configuration.clientMetadataAllowLoopback),
        accountData: TodoAccountData(repository: todoRepository),
        environment: OAuthEnvironment(now: dependencies.now, randomBytes: dependencies.randomBytes),
        limits: configuration.rateLimits,
        observer: metrics,
        logger: logger
    )
    router.mount(authorizationServer, clientAddress: { clientAddresses.address(of: $0, context: $1) })

    // Every write to a todo reaches the live subscriptions of its owner, on every instance.
    let feed = TodoChangeFeed()
    let sessions = CachingSessionStore(database.sessionStore, now: dependencies.now)
    var changes: any TodoChangePublisher = feed
    var services: [any Service] = []
    if case .postgres(let postgres) = database {
        let bus = PostgresEventBus(
            database: postgres,
            feed: feed,
            logger: logger,
            handle: { event in
                switch event {
                case .sessionEnded(let id): sessions.forget(id: id)
                default: await authorizationServer.reload(logger: logger)
                }
            },
            resynchronize: {
                sessions.forgetAll()
                await authorizationServer.reload(logger: logger)
            }
        )
        changes = bus
        services.append(bus)
    }
    let todos = TodoService(
        repository: todoRepository,
        now: dependencies.now,
        maxTodosPerOwner: configuration.maxTodosPerUser,
        changes: changes
    )
    let endpoint = MCPEndpoint(
        configuration: MCPEndpointConfiguration(
            serverInfo: ServerInfo(name: "todo-server", version: serverVersion, title: "Todo"),
            instructions: """
                Manage the user's todo list: list, search and filter (due dates, today, overdue, priority, tags), create, update, \
                complete and delete todos. Todo ids come from list_todos or create_todo. Each todo is also a resource, \
                todo://todos/{id}, and todo://views/open, todo://views/today and todo://views/overdue stay current.
                """,
            resourceMetadataURL: configuration.resourceMetadataURL,
            allowedOrigins: Set([configuration.publicOrigin] + configuration.allowedOrigins),
            maxBodyBytes: configuration.maxRequestBytes,
            sessionIdleTimeout: configuration.sessionIdleTimeout,
            maxSessionsPerSubject: configuration.maxSessionsPerUser,
            maxStreamsPerSubject: configuration.maxStreamsPerUser,
            keepAliveInterval: .milliseconds(Int64(configuration.streamKeepAlive * 1000))
        ),
        tools: TodoTools.all(service: todos),
        prompts: TodoPrompts.all(service: todos),
        resources: TodoResources(service: todos, feed: feed),
        authenticator: dependencies.authenticator ?? OAuthBearerAuthenticator(server: authorizationServer),
        sessions: sessions,
        now: dependencies.now,
        logger: logger,
        observer: metrics
    )
    let setupPage = try SetupPageController(configuration: configuration)
    router.mount(endpoint, clientAddress: { clientAddresses.address(of: $0, context: $1) }) { request, _ in
        // Browsers get the setup page; an MCP client's GET goes to the endpoint.
        request.method == .get && request.acceptsHTML ? setupPage.page() : nil
    }
    return (router, authorizationServer, services)
}

/// The scopes of the todo tools, with the words the consent page uses.
let todoScopes = [
    ScopeDefinition(Scope(rawValue: TodoTools.readScope), explanation: "Read your todos"),
    ScopeDefinition(Scope(rawValue: TodoTools.writeScope), explanation: "Create, change, complete and delete your todos"),
]

/// The server's version, as MCP `serverInfo` reports it.
let serverVersion = "0.1.0"

extension ServerConfiguration {
    /// How login codes reach people under this configuration: shown on the page in demo mode,
    /// else e-mailed through the outbox.
    func loginCodeDelivery(outbox: any MailOutbox, now: @escaping @Sendable () -> Date) throws(ConfigurationError) -> any LoginCodeDelivery {
        if self.demoMode { return DemoCodeDelivery() }
        guard let smtp = self.smtp else {
            throw ConfigurationError(variable: "SMTP_HOST", expected: "set when demo mode is off, so that login codes can be e-mailed", found: "")
        }
        return OutboxDelivery(outbox: outbox, from: smtp.from, now: now)
    }

    /// The database this configuration names, opened and migrated: PostgreSQL when `DATABASE_URL`
    /// is set, else the SQLite file.
    func openDatabase(logger: Logger) async throws -> ServerDatabase {
        if let postgres = self.postgres {
            return .postgres(try await PostgresAppDatabase.connect(postgres, maximumConnections: self.databaseMaxConnections, logger: logger))
        }
        return .sqlite(self.databasePath == ":memory:" ? try AppDatabase.inMemory() : try AppDatabase.open(path: self.databasePath))
    }
}

extension AuthorizationServer {
    /// Reads revocations and signing keys again (see `reloadFromStores()`); a failure is logged,
    /// and the next reload tries again.
    func reload(logger: Logger) async {
        do {
            try await self.reloadFromStores()
        } catch {
            logger.error("Revocations and keys could not be read again: \(error)")
        }
    }
}

/// The database the server keeps everything in, and its stores.
enum ServerDatabase: Sendable {
    /// One SQLite file: one instance.
    case sqlite(AppDatabase)
    /// PostgreSQL, shared by any number of instances.
    case postgres(PostgresAppDatabase)

    var maintained: any MaintainedDatabase {
        switch self {
        case .sqlite(let database): database
        case .postgres(let database): database
        }
    }

    var oauthStore: any OAuthStore {
        switch self {
        case .sqlite(let database): SQLiteOAuthStore(database)
        case .postgres(let database): PostgresOAuthStore(database)
        }
    }

    var todoRepository: any TodoRepository {
        switch self {
        case .sqlite(let database): SQLiteTodoRepository(database)
        case .postgres(let database): PostgresTodoRepository(database)
        }
    }

    var sessionStore: any MCPSessionStore {
        switch self {
        case .sqlite(let database): SQLiteMCPSessionStore(database)
        case .postgres(let database): PostgresMCPSessionStore(database)
        }
    }

    var mailOutbox: any MailOutbox {
        switch self {
        case .sqlite(let database): SQLiteMailOutbox(database)
        case .postgres(let database): PostgresMailOutbox(database)
        }
    }
}
