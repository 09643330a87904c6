import Crypto
import EndpointCore
import Foundation
import HTTPTypes
public import Logging

/// The OAuth 2.1 authorization server and the resource-server checks, transport-neutral.
///
/// A host server routes the paths of ``routes`` to ``handle(_:body:origin:)`` and writes back
/// what it returns; every status, header and body is decided here. The host supplies what only it
/// knows: the stores, time and randomness (``OAuthEnvironment``), login-code delivery and, for
/// Client ID Metadata Documents, a fetcher.
///
/// ```swift
/// let store = InMemoryOAuthStore()
/// let server = try await AuthorizationServer.make(
///     configuration: OAuthConfiguration(
///         issuer: "https://example.com/auth",
///         resource: "https://example.com/mcp",
///         scopes: [ScopeDefinition("notes:read", explanation: "Read your notes")],
///         mountPath: "/auth"
///     ),
///     store: store
/// )
/// let answer = await server.handle(request, body: BufferedBody(bytes), origin: RequestOrigin(clientAddress: "203.0.113.7"))
/// ```
public struct AuthorizationServer: Sendable {
    /// How the server names itself and how long what it issues lives.
    public let configuration: OAuthConfiguration
    let clients: any ClientStore
    let accounts: any AccountStore
    let loginCodes: any LoginCodeStore
    let grants: any GrantStore
    let keys: any SigningKeyStore
    let delivery: any LoginCodeDelivery
    let environment: OAuthEnvironment
    let limits: RateLimits
    let limiter: RateLimiter
    let authority: AccessTokenAuthority
    let documents: ClientMetadataDocuments?
    let pages: any SignInPageRenderer
    let accountData: (any AccountDataProvider)?
    let observer: (any OAuthObserver)?
    /// Whether the keys came from configuration (then the store's keys are not read again).
    let usesConfiguredKeys: Bool
    let paths: OAuthPaths
    let logger: Logger

    /// Builds the server, loading its signing keys (creating the first one when there is none) and
    /// the access tokens revoked so far.
    ///
    /// - Parameters:
    ///   - configuration: how the server names itself, where it is mounted and its lifetimes.
    ///   - clients: registered clients.
    ///   - accounts: the people who sign in.
    ///   - loginCodes: login codes waiting to be typed in.
    ///   - grants: authorization codes, consents and refresh tokens.
    ///   - keys: signing keys and revocations.
    ///   - configuredKeys: keys from configuration, oldest first; when empty, keys kept in the key
    ///     store are used.
    ///   - delivery: sends login codes to people.
    ///   - metadataFetcher: fetches Client ID Metadata Documents; without one, only registered
    ///     clients are known.
    ///   - pages: renders the sign-in pages; ``MustachePageRenderer`` by default.
    ///   - accountData: what the host keeps for a person, which the account page lists, exports
    ///     and deletes with the account.
    ///   - environment: time and randomness.
    ///   - limits: the rate limits.
    ///   - observer: hears sign-ins, issued tokens, replays and rate-limit refusals, for metrics.
    ///   - logger: where failures of storage and delivery are logged.
    public static func make(
        configuration: OAuthConfiguration,
        clients: any ClientStore,
        accounts: any AccountStore,
        loginCodes: any LoginCodeStore,
        grants: any GrantStore,
        keys: any SigningKeyStore,
        configuredKeys: [SigningKey] = [],
        delivery: any LoginCodeDelivery = DemoCodeDelivery(),
        metadataFetcher: (any ClientMetadataFetcher)? = nil,
        pages: (any SignInPageRenderer)? = nil,
        accountData: (any AccountDataProvider)? = nil,
        environment: OAuthEnvironment = OAuthEnvironment(),
        limits: RateLimits = RateLimits(),
        observer: (any OAuthObserver)? = nil,
        logger: Logger = Logger(label: "oauth")
    ) async throws -> AuthorizationServer {
        try configuration.validate()
        if let key = accountData?.exportKey, key.isEmpty || AccountExport.reservedKeys.contains(key) {
            throw OAuthConfigurationError(
                "the account data's exportKey '\(key)' must be a name of its own, not one of \(AccountExport.reservedKeys.sorted())"
            )
        }
        let now = environment.now()
        var onRejection: (@Sendable (String) -> Void)?
        if let observer { onRejection = { observer.record(.rateLimited(limit: $0)) } }
        let ring: [SigningKey]
        if configuredKeys.isEmpty {
            ring = try await keys.signingKeys {
                SigningKey(id: Base64URL.encode(environment.randomBytes(6)), secret: environment.randomBytes(32), createdAt: now)
            }
        } else {
            ring = configuredKeys
        }
        return AuthorizationServer(
            configuration: configuration,
            clients: clients,
            accounts: accounts,
            loginCodes: loginCodes,
            grants: grants,
            keys: keys,
            delivery: delivery,
            environment: environment,
            limits: limits,
            limiter: RateLimiter(onRejection: onRejection),
            authority: AccessTokenAuthority(
                keys: ring,
                revoked: try await keys.revokedAccessTokens(at: now),
                revokedGrants: try await keys.revokedGrants(at: now)
            ),
            documents: metadataFetcher.map(ClientMetadataDocuments.init(fetcher:)),
            pages: try pages ?? MustachePageRenderer(),
            accountData: accountData,
            observer: observer,
            usesConfiguredKeys: !configuredKeys.isEmpty,
            paths: OAuthPaths(configuration),
            logger: logger
        )
    }

    /// Builds the server on one store that keeps everything, such as ``InMemoryOAuthStore``.
    public static func make(
        configuration: OAuthConfiguration,
        store: any OAuthStore,
        configuredKeys: [SigningKey] = [],
        delivery: any LoginCodeDelivery = DemoCodeDelivery(),
        metadataFetcher: (any ClientMetadataFetcher)? = nil,
        pages: (any SignInPageRenderer)? = nil,
        accountData: (any AccountDataProvider)? = nil,
        environment: OAuthEnvironment = OAuthEnvironment(),
        limits: RateLimits = RateLimits(),
        observer: (any OAuthObserver)? = nil,
        logger: Logger = Logger(label: "oauth")
    ) async throws -> AuthorizationServer {
        try await self.make(
            configuration: configuration,
            clients: store,
            accounts: store,
            loginCodes: store,
            grants: store,
            keys: store,
            configuredKeys: configuredKeys,
            delivery: delivery,
            metadataFetcher: metadataFetcher,
            pages: pages,
            accountData: accountData,
            environment: environment,
            limits: limits,
            observer: observer,
            logger: logger
        )
    }

    /// Reads again what the stores keep that may have changed outside this process: revoked
    /// access tokens and grants, and (unless keys come from configuration) the signing keys, such as
    /// a key added by an admin command. A host calls this every few seconds.
    public func reloadFromStores() async throws {
        let now = self.environment.now()
        self.authority.merge(
            revoked: try await self.keys.revokedAccessTokens(at: now),
            revokedGrants: try await self.keys.revokedGrants(at: now),
            now: now
        )
        if !self.usesConfiguredKeys {
            let environment = self.environment
            self.authority.replaceKeys(
                try await self.keys.signingKeys {
                    SigningKey(id: Base64URL.encode(environment.randomBytes(6)), secret: environment.randomBytes(32), createdAt: now)
                }
            )
        }
    }

    // MARK: Resource server

    /// The claims of a valid access token for this server's resource, or `nil`.
    public func verifyAccessToken(_ token: String) -> AccessTokenClaims? {
        self.authority.verify(token, audience: self.configuration.resource, now: self.environment.now())
    }

    // MARK: Metadata

    /// RFC 9728 protected-resource metadata of the MCP endpoint.
    func protectedResourceMetadata() -> EndpointResponse {
        .json(
            ProtectedResourceMetadata(
                resource: self.configuration.resource,
                authorization_servers: [self.configuration.issuer],
                scopes_supported: self.configuration.supportedScopes.map(\.rawValue),
                bearer_methods_supported: ["header"],
                resource_name: self.configuration.resourceName
            )
        )
    }

    /// RFC 8414 authorization-server metadata.
    func authorizationServerMetadata() -> EndpointResponse {
        .json(
            AuthorizationServerMetadata(
                issuer: self.configuration.issuer,
                authorization_endpoint: self.paths.url(of: .authorization),
                token_endpoint: self.paths.url(of: .token),
                registration_endpoint: self.paths.url(of: .registration),
                revocation_endpoint: self.paths.url(of: .revocation),
                scopes_supported: self.configuration.supportedScopes.map(\.rawValue),
                response_types_supported: ["code"],
                response_modes_supported: ["query"],
                grant_types_supported: ["authorization_code", "refresh_token"],
                token_endpoint_auth_methods_supported: ["none"],
                revocation_endpoint_auth_methods_supported: ["none"],
                code_challenge_methods_supported: ["S256"],
                client_id_metadata_document_supported: self.documents != nil,
                authorization_response_iss_parameter_supported: true
            )
        )
    }

    // MARK: Registration (RFC 7591)

    /// Registers a public client. Registering the same metadata again returns the same client.
    func register(body: [UInt8], contentType: String?, clientAddress: String) async -> EndpointResponse {
        if let wait = self.limiter.hit(
            RateLimits.perClient("register", clientAddress: clientAddress, self.limits.registration),
            now: self.environment.now()
        ) {
            return .error(.tooManyRequests(retryAfter: wait))
        }
        guard MediaType.is(contentType, "application/json") else {
            return .error(OAuthError(.invalidClientMetadata, "Send the client metadata as application/json."))
        }
        guard let request = try? JSONDecoder().decode(RegistrationRequest.self, from: Data(body)) else {
            return .error(OAuthError(.invalidClientMetadata, "The body is not a JSON object of client metadata."))
        }
        guard let redirectURIs = request.redirect_uris, !redirectURIs.isEmpty else {
            return .error(OAuthError(.invalidRedirectURI, "redirect_uris must list at least one redirect URI."))
        }
        do {
            for uri in redirectURIs { try RedirectURI.validateForRegistration(uri) }
        } catch {
            return .error(error)
        }
        let grantTypes = request.grant_types ?? ["authorization_code", "refresh_token"]
        guard grantTypes.contains("authorization_code"), grantTypes.allSatisfy(["authorization_code", "refresh_token"].contains) else {
            return .error(OAuthError(.invalidClientMetadata, "grant_types may hold only authorization_code and refresh_token."))
        }
        if let responseTypes = request.response_types, responseTypes != ["code"] {
            return .error(OAuthError(.invalidClientMetadata, "response_types must be [\"code\"]."))
        }
        if let name = request.client_name, name.containsControlCharacters {
            return .error(OAuthError(.invalidClientMetadata, "client_name must not contain control characters."))
        }
        let name = String(
            (request.client_name?.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : $0 }?.prefix(100) ?? "Unnamed client"
        )
        let metadataHash = sha256Hex(([name] + redirectURIs.sorted()).joined(separator: "\n"))
        do {
            let client: OAuthClient
            if let existing = try await self.clients.client(metadataHash: metadataHash) {
                client = existing
            } else {
                client = OAuthClient(
                    id: "c_" + self.environment.randomToken(bytes: 18),
                    name: name,
                    redirectURIs: redirectURIs,
                    createdAt: self.environment.now()
                )
                try await self.clients.save(client, metadataHash: metadataHash)
            }
            return .json(
                RegistrationResponse(
                    client_id: client.id,
                    client_id_issued_at: Int64(client.createdAt.timeIntervalSince1970),
                    client_name: client.name,
                    redirect_uris: client.redirectURIs,
                    grant_types: ["authorization_code", "refresh_token"],
                    response_types: ["code"],
                    token_endpoint_auth_method: "none",
                    scope: self.configuration.supportedScopes.map(\.rawValue).joined(separator: " ")
                ),
                status: .created
            )
        } catch {
            self.logger.error("Client registration failed: \(error)")
            return .error(OAuthError(.serverError, "The registration could not be stored.", status: .internalServerError))
        }
    }

    /// The client `id` names: a registered client, or the client a metadata document describes
    /// (fetched, validated and kept in the client store so that its grants can refer to it).
    /// Fetches count against the client address's limit; cached documents do not.
    func resolveClient(_ id: String, clientAddress: String) async throws -> OAuthClient? {
        guard let documents = self.documents, ClientMetadataDocuments.isDocumentURL(id) else { return try await self.registeredClient(id) }
        let now = self.environment.now()
        if let cached = documents.cachedClient(id, now: now) { return cached }
        if let wait = self.limiter.hit(
            RateLimits.perClient("metadata-fetch", clientAddress: clientAddress, self.limits.metadataFetches),
            now: now
        ) {
            throw OAuthError(.invalidClient, "Too many client metadata documents were requested from your address. Please wait \(wait) seconds.")
        }
        let clients = self.clients
        return try await documents.client(id, now: now, requester: ClientNetwork.site(of: clientAddress)) { client in
            try await clients.save(client, metadataHash: "document:" + client.id)
        }
    }

    /// The client registered with `id`. An id no registration could have (one with control
    /// characters, which some stores cannot even be asked about) names none, so that it gets the
    /// answer of an unknown client rather than a store's error.
    func registeredClient(_ id: String) async throws -> OAuthClient? {
        id.containsControlCharacters ? nil : try await self.clients.client(id: id)
    }

    static func isForm(_ contentType: String?) -> Bool { MediaType.is(contentType, "application/x-www-form-urlencoded") }
}

struct ProtectedResourceMetadata: Encodable {
    var resource: String
    var authorization_servers: [String]
    var scopes_supported: [String]
    var bearer_methods_supported: [String]
    var resource_name: String
}

struct AuthorizationServerMetadata: Encodable {
    var issuer: String
    var authorization_endpoint: String
    var token_endpoint: String
    var registration_endpoint: String
    var revocation_endpoint: String
    var scopes_supported: [String]
    var response_types_supported: [String]
    var response_modes_supported: [String]
    var grant_types_supported: [String]
    var token_endpoint_auth_methods_supported: [String]
    var revocation_endpoint_auth_methods_supported: [String]
    var code_challenge_methods_supported: [String]
    var client_id_metadata_document_supported: Bool
    var authorization_response_iss_parameter_supported: Bool
}
