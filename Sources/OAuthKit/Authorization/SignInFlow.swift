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

    /// E-mail codes for this browser's flow.
    var emailCodes: EmailCodeSignIn { EmailCodeSignIn(server: self.server, purpose: .signIn, csrf: self.csrf, clientAddress: self.clientAddress, now: self.now) }

    /// Step 1: an e-mail address arrives; a code is made, stored as a hash and delivered.
    func submitEmail(_ raw: String) async -> AuthorizeOutcome {
        switch await self.emailCodes.requestCode(raw, clientName: self.client.name) {
        case .problem(let problem): return self.page(problem)
        case .sent(let email, let code): return self.page(.code, email: email, demoCode: self.configuration.demoMode ? code : nil)
        }
    }

    /// The page that reports `problem`.
    private func page(_ problem: SignInProblem) -> AuthorizeOutcome {
        self.page(
            problem.step == .email ? .email : .code,
            status: problem.status,
            message: problem.message,
            email: problem.email,
            retryAfter: problem.retryAfter
        )
    }

    /// Step 2: the code arrives; a right one logs the person in (creating the user on first login).
    func submitCode(_ typed: String, email raw: String) async -> AuthorizeOutcome {
        switch await self.emailCodes.verify(typed, email: raw) {
        case .problem(let problem):
            return self.page(problem)
        case .signedIn(let account):
            let session = LoginSession(
                account: account,
                expiresAt: self.now.addingTimeInterval(self.configuration.loginSessionLifetime),
                purpose: .signIn
            )
            let cookie = Cookie(
                name: self.server.cookieName(AuthorizationServer.sessionCookie),
                value: self.server.seal(session),
                maxAge: Int(self.configuration.loginSessionLifetime),
                secure: self.configuration.secureCookies
            )
            switch await self.consentOrCode(session: session) {
            case .page(let page, let cookies): return .page(page, cookies: cookies + [cookie])
            case .redirect(let location, let cookies): return .redirect(location, cookies: cookies + [cookie])
            case let other: return other
            }
        }
    }

    /// After login: straight back to the client when this client was approved before, else the consent page.
    func consentOrCode(session: LoginSession) async -> AuthorizeOutcome {
        do {
            if try await self.server.grants.hasConsent(subject: session.subject, clientID: self.client.id, scopes: self.scopes.map(\.rawValue)) {
                return try await self.issueCode(for: session)
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
            return try await self.issueCode(for: session)
        } catch {
            self.server.logger.error("Approval failed: \(error)")
            return self.page(.consent, status: .internalServerError, message: "Something went wrong. Please try again.", email: session.email)
        }
    }

    /// A code for the signed-in person, bound to the session generation it was issued under.
    private func issueCode(for session: LoginSession) async throws -> AuthorizeOutcome {
        let code = "ac1_" + self.server.environment.randomToken()
        try await self.server.grants.insertCode(
            AuthorizationCode(
                codeHash: sha256Hex(code),
                clientID: self.client.id,
                subject: session.subject,
                redirectURI: self.redirectURI,
                codeChallenge: self.request.codeChallenge ?? "",
                resource: self.configuration.resource,
                scopes: self.scopes.map(\.rawValue),
                expiresAt: self.now.addingTimeInterval(self.configuration.authorizationCodeLifetime),
                sessionGeneration: session.generation ?? 0
            )
        )
        return .redirect(self.server.redirect(self.redirectURI, ["code": code], state: self.request.state), cookies: [])
    }
}
