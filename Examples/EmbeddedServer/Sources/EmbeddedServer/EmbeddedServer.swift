import ClientMetadataFetching
import Foundation
import Hummingbird
import HummingbirdEndpoints
import Logging
import MCPCore
import OAuthKit
import Storage
import TodoDomain
import TodoMCP

/// An existing Hummingbird application that keeps its own routes and mounts the MCP endpoint at
/// `/mcp` and the authorization server at `/auth`, on SQLite.
///
/// Settings, from the environment: `PORT` (8080), `PUBLIC_URL` (`http://127.0.0.1:PORT`) and
/// `DATABASE_PATH` (`./data/embedded.sqlite`).
@main
struct EmbeddedServer {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let port = Int(environment["PORT"] ?? "") ?? 8080
        var publicURL = environment["PUBLIC_URL"] ?? "http://127.0.0.1:\(port)"
        while publicURL.hasSuffix("/") { publicURL.removeLast() }
        let database = try AppDatabase.open(path: environment["DATABASE_PATH"] ?? "./data/embedded.sqlite")
        var logger = Logger(label: "embedded-server")
        logger.logLevel = .info

        // The host application, with a route of its own.
        let router = Router(context: EndpointRequestContext.self)
        router.get("/") { _, _ in "host app" }

        // The authorization server, mounted at /auth, issuing tokens for the MCP endpoint.
        let authorizationServer = try await AuthorizationServer.make(
            configuration: OAuthConfiguration(
                issuer: publicURL + "/auth",
                resource: publicURL + "/mcp",
                scopes: [
                    ScopeDefinition(Scope(rawValue: TodoTools.readScope), explanation: "Read your todos"),
                    ScopeDefinition(Scope(rawValue: TodoTools.writeScope), explanation: "Change your todos"),
                ],
                resourceName: "Embedded todos",
                mountPath: "/auth"
            ),
            store: SQLiteOAuthStore(database),
            metadataFetcher: MetadataDocumentFetcher(logger: logger),
            logger: logger
        )
        router.mount(authorizationServer)

        // The MCP endpoint, mounted at /mcp, with the todo tools; it accepts the server's tokens.
        let endpoint = MCPEndpoint(
            configuration: MCPEndpointConfiguration(
                serverInfo: ServerInfo(name: "embedded-todos", version: "1.0.0"),
                path: "/mcp",
                resourceMetadataURL: publicURL + "/.well-known/oauth-protected-resource/mcp",
                allowedOrigins: [publicURL]
            ),
            tools: TodoTools.all(service: TodoService(repository: SQLiteTodoRepository(database))),
            authenticator: AccessTokenCheck(server: authorizationServer),
            sessions: CachingSessionStore(SQLiteMCPSessionStore(database)),
            logger: logger
        )
        router.mount(endpoint)

        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: "embedded-server"),
            services: [
                CleanupService(database: database, sessionIdleTimeout: endpoint.configuration.sessionIdleTimeout, logger: logger),
                CheckpointService(database: database, logger: logger),
            ],
            logger: logger
        )
        try await app.runService()
    }
}

/// The MCP endpoint's bearer check: an access token of the authorization server is a principal.
struct AccessTokenCheck: BearerAuthenticator {
    let server: AuthorizationServer

    func authenticate(token: String) async -> Principal? {
        self.server.verifyAccessToken(token).map { Principal(subject: $0.subject, scopes: Set($0.scopes)) }
    }
}
