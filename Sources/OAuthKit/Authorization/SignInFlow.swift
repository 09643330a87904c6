import EndpointCore
import Foundation
import HTTPTypes
import Logging

/// One authorization request on its way through the login steps.
struct SignInFlow {
    let server: AuthorizationServer
    let request: AuthorizationRequest
    let client: OAuthClient
    let redirectURI: String
    let scopes: [Scope]
    let csrf: String
    let clientAddress: String
    /// The path the forms post back to.
    let formAction: String
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
                formAction: self.formAction,
                resourceName: self.configuration.resourceName,
                redirectHost: RedirectURI.displayHost(self.redirectURI),
                scopeDescriptions: self.scopes.map(self.configuration.explanation(of:)),
                email: email,
                codeLifetimeMinutes: max(1, Int((self.configuration.loginCodeLifetime / 60).rounded())),
                demoWarning: self.configuration.demoMode && !Loopback.isLoopback(self.configuration.issuerHost),
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
            try await self.server.delivery.deliver(
                LoginCodeMessage(
                    code: code,
                    email: email,
                    clientName: self.client.name,
                    serverHost: self.configuration.issuerHost,
                    expiresAt: loginCode.expiresAt
                )
            )
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
