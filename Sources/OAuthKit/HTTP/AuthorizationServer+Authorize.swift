import EndpointCore
import Foundation
import HTTPTypes
import Logging

/// The parameters of an authorization request.
struct AuthorizationRequest {
    var clientID: String
    var redirectURI: String?
    var responseType: String?
    var state: String?
    var codeChallenge: String?
    var codeChallengeMethod: String?
    var scope: String?
    var resource: String?

    init(_ fields: [String: String]) {
        self.clientID = fields["client_id"] ?? ""
        self.redirectURI = fields["redirect_uri"]
        self.responseType = fields["response_type"]
        self.state = fields["state"]
        self.codeChallenge = fields["code_challenge"]
        self.codeChallengeMethod = fields["code_challenge_method"]
        self.scope = fields["scope"]
        self.resource = fields["resource"]
    }

    /// The request as hidden form fields, so every step repeats it.
    var fields: [(name: String, value: String)] {
        [
            ("client_id", self.clientID), ("redirect_uri", self.redirectURI), ("response_type", self.responseType), ("state", self.state),
            ("code_challenge", self.codeChallenge), ("code_challenge_method", self.codeChallengeMethod), ("scope", self.scope),
            ("resource", self.resource),
        ].compactMap { name, value in value.map { (name, $0) } }
    }
}

/// The browser's login, kept in a sealed cookie.
struct LoginSession: Codable {
    var subject: String
    var email: String
    var expiresAt: Int64
}

extension AuthorizationServer {
    static let csrfCookie = "oauth_csrf"
    static let sessionCookie = "oauth_session"

    /// The name of a cookie as set: `__Host-` prefixed when cookies are `Secure`.
    func cookieName(_ name: String) -> String { self.configuration.secureCookies ? "__Host-" + name : name }

    /// `GET` and `POST /oauth/authorize`, from the raw request parts.
    ///
    /// - Parameters:
    ///   - query: the query string of a GET.
    ///   - formBody: the `application/x-www-form-urlencoded` body of a POST (`nil` for a GET).
    ///   - cookieHeader: the `Cookie` header.
    ///   - clientAddress: the client's IP address, for rate limits.
    func authorize(query: String?, formBody: [UInt8]?, cookieHeader: String?, clientAddress: String) async -> AuthorizeOutcome {
        let fields = formBody.map { FormData.parse(String(decoding: $0, as: UTF8.self)) } ?? FormData.parse(query ?? "")
        var cookies: [String: String] = [:]
        for pair in (cookieHeader ?? "").split(separator: ";") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, cookies[parts[0]] == nil { cookies[parts[0]] = parts[1] }
        }
        return await self.authorize(fields: fields, isPost: formBody != nil, cookies: cookies, clientAddress: clientAddress)
    }

    /// `GET` and `POST /oauth/authorize`.
    ///
    /// - Parameters:
    ///   - fields: the query parameters (GET) or form fields (POST).
    ///   - isPost: whether the request is a form submission.
    ///   - cookies: the request's cookies.
    ///   - clientAddress: the client's IP address, for rate limits.
    func authorize(fields: [String: String], isPost: Bool, cookies: [String: String], clientAddress: String) async -> AuthorizeOutcome {
        let request = AuthorizationRequest(fields)
        let now = self.environment.now()

        // 1. Client and redirect URI: until both are known good, never redirect.
        guard !request.clientID.isEmpty else {
            return .errorPage(title: "Missing client", message: "The request does not name a client (client_id).", status: .badRequest)
        }
        let client: OAuthClient
        do {
            guard let found = try await self.resolveClient(request.clientID, clientAddress: clientAddress) else {
                return .errorPage(
                    title: "Unknown client",
                    message:
                        "This app is not registered with this server (perhaps the server was reset). Remove the connection in the app and add it again.",
                    status: .badRequest
                )
            }
            client = found
        } catch let error as OAuthError {
            return .errorPage(title: "Unusable client", message: error.description, status: .badRequest)
        } catch {
            self.logger.error("Client lookup failed: \(error)")
            return .errorPage(title: "Something went wrong", message: "The server could not read its data. Try again later.", status: .internalServerError)
        }
        let redirectURI: String
        if let requested = request.redirectURI, !requested.isEmpty {
            guard RedirectURI.matches(requested, registered: client.redirectURIs) else {
                return .errorPage(
                    title: "Unregistered redirect",
                    message: "The app asked to be sent back to an address it did not register. For your safety the sign-in stops here.",
                    status: .badRequest
                )
            }
            redirectURI = requested
        } else if client.redirectURIs.count == 1 {
            redirectURI = client.redirectURIs[0]
        } else {
            return .errorPage(title: "Missing redirect", message: "The request does not say where to send you back (redirect_uri).", status: .badRequest)
        }

        // 2. The rest of the request: problems go back to the client.
        func fail(_ code: OAuthErrorCode, _ description: String) -> AuthorizeOutcome {
            .redirect(self.redirect(redirectURI, ["error": code.rawValue, "error_description": description], state: request.state), cookies: [])
        }
        guard request.responseType == "code" else { return fail(.unsupportedResponseType, "response_type must be code.") }
        guard let challenge = request.codeChallenge, PKCE.isWellFormed(challenge) else {
            return fail(.invalidRequest, "code_challenge is required (PKCE, 43-128 characters).")
        }
        guard request.codeChallengeMethod == "S256" else { return fail(.invalidRequest, "code_challenge_method must be S256.") }
        if let resource = request.resource, !resource.isEmpty, !self.configuration.isResource(resource) {
            return fail(.invalidTarget, "resource must be \(self.configuration.resource).")
        }
        var scopes = Scope.parse(request.scope ?? "", known: self.configuration.supportedScopes)
        if scopes.isEmpty { scopes = self.configuration.defaultScopes ?? self.configuration.supportedScopes }

        // 3. The browser: CSRF cookie and login.
        var setCookies: [Cookie] = []
        let csrf: String
        if let existing = cookies[self.cookieName(Self.csrfCookie)], existing.utf8.count >= 32 {
            csrf = existing
        } else {
            csrf = self.environment.randomToken()
            setCookies.append(Cookie(name: self.cookieName(Self.csrfCookie), value: csrf, maxAge: 3600, secure: self.configuration.secureCookies))
        }
        let flow = Flow(
            server: self,
            request: request,
            client: client,
            redirectURI: redirectURI,
            scopes: scopes,
            csrf: csrf,
            clientAddress: clientAddress,
            now: now
        )
        let session = self.loginSession(cookies[self.cookieName(Self.sessionCookie)], now: now)

        var outcome: AuthorizeOutcome
        if isPost {
            guard let sent = fields["csrf"], cookies[self.cookieName(Self.csrfCookie)] != nil, constantTimeEqual(sent, csrf) else {
                return flow.page(.email, status: .forbidden, message: "This form has expired. Please enter your e-mail address again.", cookies: setCookies)
            }
            switch fields["step"] {
            case "email": outcome = await flow.submitEmail(fields["email"] ?? "")
            case "code": outcome = await flow.submitCode(fields["code"] ?? "", email: fields["email"] ?? "")
            case "consent":
                if let session {
                    outcome = await flow.decide(approved: fields["approve"] == "yes", session: session)
                } else {
                    outcome = flow.page(.email, message: "Your sign-in has expired. Please sign in again.")
                }
            case "switch":
                outcome = flow.page(.email)
                setCookies.append(Cookie(name: self.cookieName(Self.sessionCookie), value: "", maxAge: 0, secure: self.configuration.secureCookies))
            default:
                if let session {
                    outcome = await flow.consentOrCode(session: session)
                } else {
                    outcome = flow.page(.email)
                }
            }
        } else if let session {
            outcome = await flow.consentOrCode(session: session)
        } else {
            outcome = flow.page(.email)
        }
        switch outcome {
        case .page(let page, let cookies): outcome = .page(page, cookies: setCookies + cookies)
        case .redirect(let location, let cookies): outcome = .redirect(location, cookies: setCookies + cookies)
        case .errorPage: break
        }
        return outcome
    }

    /// `uri` with `parameters`, `state` (when the client sent one) and `iss` added to its query.
    func redirect(_ uri: String, _ parameters: [String: String], state: String?) -> String {
        var fields = parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let state { fields.append(("state", state)) }
        fields.append(("iss", self.configuration.issuer))
        let separator = uri.contains("?") ? "&" : "?"
        return uri + separator + FormData.encode(fields)
    }

    /// The login session in a cookie value, if it is intact and unexpired.
    func loginSession(_ value: String?, now: Date) -> LoginSession? {
        guard let value, let text = self.authority.unseal(value),
            let session = try? JSONDecoder().decode(LoginSession.self, from: Data(text.utf8)),
            Double(session.expiresAt) > now.timeIntervalSince1970
        else { return nil }
        return session
    }
}

/// One authorization request on its way through the login steps.
struct Flow {
    let server: AuthorizationServer
    let request: AuthorizationRequest
    let client: OAuthClient
    let redirectURI: String
    let scopes: [Scope]
    let csrf: String
    let clientAddress: String
    let now: Date

    var configuration: OAuthConfiguration { self.server.configuration }

    func page(
        _ step: AuthorizePage.Step,
        status: HTTPResponse.Status = .ok,
        message: String? = nil,
        email: String? = nil,
        demoCode: String? = nil,
        retryAfter: Int? = nil,
        cookies: [Cookie] = []
    ) -> AuthorizeOutcome {
        .page(
            AuthorizePage(
                step: step,
                status: status,
                retryAfter: retryAfter,
                clientName: self.client.name,
                resourceName: self.configuration.resourceName,
                redirectHost: RedirectURI.displayHost(self.redirectURI),
                scopeDescriptions: self.scopes.map(self.configuration.explanation(of:)),
                email: email,
                demoCode: demoCode,
                message: message,
                csrfToken: self.csrf,
                requestFields: self.request.fields
            ),
            cookies: cookies
        )
    }

    /// The sign-in flow of this browser: a keyed hash of its flow (CSRF) cookie, which login codes
    /// are bound to.
    var flowID: String { self.server.authority.keyedHash("flow|" + self.csrf) }

    /// Step 1: an e-mail address arrives; a code is made, stored as a hash and delivered.
    func submitEmail(_ raw: String) async -> AuthorizeOutcome {
        guard let email = EmailAddress.normalize(raw) else {
            return self.page(.email, status: .badRequest, message: "Please enter a valid e-mail address, such as ada@example.com.")
        }
        let limits = self.server.limits
        let wait = self.server.limiter.hit(
            [
                .init("email-from", key: "\(email)|\(ClientNetwork.site(of: self.clientAddress))", limits.emailPerAddressAndClient),
                .init("email", key: email, limits.emailPerAddress),
            ] + RateLimits.perClient("email-client", clientAddress: self.clientAddress, limits.emailPerClient),
            now: self.now
        )
        if let wait {
            return self.page(
                .email,
                status: .tooManyRequests,
                message: "Too many codes were requested. Please wait \(wait) seconds and try again.",
                retryAfter: wait
            )
        }
        let code = LoginCodes.make(randomBytes: self.server.environment.randomBytes(LoginCodes.length))
        let loginCode = LoginCode(
            id: self.server.environment.randomToken(bytes: 12),
            email: email,
            flowID: self.flowID,
            codeHash: self.server.authority.keyedHash(email + "|" + code),
            expiresAt: self.now.addingTimeInterval(self.configuration.loginCodeLifetime)
        )
        do {
            try await self.server.loginCodes.replaceLoginCode(loginCode)
            try await self.server.delivery.deliver(code: code, to: email)
        } catch {
            self.server.logger.error("Login code could not be stored or delivered: \(error)")
            return self.page(.email, status: .internalServerError, message: "The code could not be sent. Please try again in a moment.")
        }
        return self.page(.code, email: email, demoCode: self.configuration.demoMode ? code : nil)
    }

    /// Step 2: the code arrives; a right one logs the person in (creating the user on first login).
    ///
    /// Each try is counted before it is compared, in one conditional update, so parallel tries can
    /// never exceed the limit; and only the flow that asked for the code can try it.
    func submitCode(_ typed: String, email raw: String) async -> AuthorizeOutcome {
        guard let email = EmailAddress.normalize(raw) else {
            return self.page(.email, status: .badRequest, message: "Please enter your e-mail address again.")
        }
        if let wait = self.server.limiter.hit(
            RateLimits.perClient("code", clientAddress: self.clientAddress, self.server.limits.codeAttempts),
            now: self.now
        ) {
            return self.page(
                .code,
                status: .tooManyRequests,
                message: "Too many attempts. Please wait \(wait) seconds and try again.",
                email: email,
                retryAfter: wait
            )
        }
        let maxAttempts = self.configuration.loginCodeAttempts
        do {
            guard
                let stored = try await self.server.loginCodes.countLoginCodeAttempt(
                    email: email,
                    flowID: self.flowID,
                    at: self.now,
                    maxAttempts: maxAttempts
                )
            else {
                return self.page(.email, status: .badRequest, message: "That code has expired or was used up. Please ask for a new one.", email: email)
            }
            let code = LoginCodes.normalize(typed)
            guard code.count == LoginCodes.length, constantTimeEqual(self.server.authority.keyedHash(email + "|" + code), stored.codeHash) else {
                let left = maxAttempts - stored.attempts
                if left <= 0 {
                    _ = try await self.server.loginCodes.deleteLoginCode(id: stored.id)
                    return self.page(.email, status: .badRequest, message: "Too many wrong codes. Please ask for a new one.", email: email)
                }
                return self.page(.code, status: .badRequest, message: "That code is not right. \(left) \(left == 1 ? "try" : "tries") left.", email: email)
            }
            // Only one of several parallel right tries consumes the code.
            guard try await self.server.loginCodes.deleteLoginCode(id: stored.id) else {
                return self.page(.email, status: .badRequest, message: "That code was already used. Please ask for a new one.", email: email)
            }
            let subject = try await self.server.accounts.findOrCreateUser(email: email, at: self.now)
            let session = LoginSession(
                subject: subject,
                email: email,
                expiresAt: Int64(self.now.addingTimeInterval(self.configuration.loginSessionLifetime).timeIntervalSince1970)
            )
            let sealed = self.server.authority.seal(String(decoding: try JSONEncoder().encode(session), as: UTF8.self))
            let cookie = Cookie(
                name: self.server.cookieName(AuthorizationServer.sessionCookie),
                value: sealed,
                maxAge: Int(self.configuration.loginSessionLifetime),
                secure: self.configuration.secureCookies
            )
            switch await self.consentOrCode(session: session) {
            case .page(let page, let cookies): return .page(page, cookies: cookies + [cookie])
            case .redirect(let location, let cookies): return .redirect(location, cookies: cookies + [cookie])
            case let other: return other
            }
        } catch {
            self.server.logger.error("Login failed: \(error)")
            return self.page(.code, status: .internalServerError, message: "Something went wrong. Please try again.", email: email)
        }
    }

    /// After login: straight back to the client when this client was approved before, else the consent page.
    func consentOrCode(session: LoginSession) async -> AuthorizeOutcome {
        do {
            if try await self.server.grants.hasConsent(subject: session.subject, clientID: self.client.id, scopes: self.scopes.map(\.rawValue)) {
                return try await self.issueCode(subject: session.subject)
            }
        } catch {
            self.server.logger.error("Consent lookup failed: \(error)")
        }
        return self.page(.consent, email: session.email)
    }

    /// Step 3: approve or deny.
    func decide(approved: Bool, session: LoginSession) async -> AuthorizeOutcome {
        guard approved else {
            return .redirect(
                self.server.redirect(
                    self.redirectURI,
                    ["error": "access_denied", "error_description": "The user denied access."],
                    state: self.request.state
                ),
                cookies: []
            )
        }
        do {
            try await self.server.grants.recordConsent(
                subject: session.subject,
                clientID: self.client.id,
                scopes: self.scopes.map(\.rawValue),
                at: self.now
            )
            return try await self.issueCode(subject: session.subject)
        } catch {
            self.server.logger.error("Approval failed: \(error)")
            return self.page(.consent, status: .internalServerError, message: "Something went wrong. Please try again.", email: session.email)
        }
    }

    private func issueCode(subject: String) async throws -> AuthorizeOutcome {
        let code = "ac1_" + self.server.environment.randomToken()
        try await self.server.grants.insertCode(
            AuthorizationCode(
                codeHash: sha256Hex(code),
                clientID: self.client.id,
                subject: subject,
                redirectURI: self.redirectURI,
                codeChallenge: self.request.codeChallenge ?? "",
                resource: self.configuration.resource,
                scopes: self.scopes.map(\.rawValue),
                expiresAt: self.now.addingTimeInterval(self.configuration.authorizationCodeLifetime)
            )
        )
        return .redirect(self.server.redirect(self.redirectURI, ["code": code], state: self.request.state), cookies: [])
    }
}
