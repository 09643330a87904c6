import EndpointCore
import Foundation
import HTTPTypes
import Logging

/// One request to the account page: builds its pages and carries out its sign-in.
struct AccountContext {
    let server: AuthorizationServer
    /// The account page's path, where the forms post and the redirects go.
    let path: String
    /// The browser's flow cookie: the sign-in forms' CSRF token, which login codes are bound to.
    let csrf: String
    /// The signed-in forms' CSRF token, derived from the session cookie; `nil` without one.
    let sessionToken: String?
    let clientAddress: String
    let now: Date

    var configuration: OAuthConfiguration { self.server.configuration }

    private var demoWarning: Bool { self.configuration.demoMode && !Loopback.isLoopback(self.configuration.issuerHost) }

    private func basePage(_ step: AccountPage.Step, csrf: String) -> AccountPage {
        AccountPage(
            step: step,
            formAction: self.path,
            resourceName: self.configuration.resourceName,
            codeLifetimeMinutes: max(1, Int((self.configuration.loginCodeLifetime / 60).rounded())),
            demoWarning: self.demoWarning,
            csrfToken: csrf
        )
    }

    private func render(_ page: AccountPage, cookies: [Cookie] = []) -> EndpointResponse {
        var response = EndpointResponse.html(self.server.pages.render(.account(page)), status: page.status)
        if let retryAfter = page.retryAfter { response.headerFields[.retryAfter] = String(retryAfter) }
        for cookie in cookies { response.headerFields.append(HTTPField(name: .setCookie, value: cookie.headerValue)) }
        return response
    }

    /// The e-mail or code step of signing in.
    func signInPage(
        _ step: AccountPage.Step,
        status: HTTPResponse.Status = .ok,
        message: String? = nil,
        notice: String? = nil,
        email: String? = nil,
        demoCode: String? = nil,
        retryAfter: Int? = nil
    ) -> EndpointResponse {
        var page = self.basePage(step, csrf: self.csrf)
        page.status = status
        page.message = message
        page.notice = notice
        page.email = email
        page.demoCode = demoCode
        page.retryAfter = retryAfter
        return self.render(page)
    }

    /// A redirect back to the page (303, so the browser GETs it), showing `notice`.
    func redirect(notice: String, cookies: [Cookie] = []) -> EndpointResponse {
        var headers: HTTPFields = [.location: self.path + "?notice=" + notice, .cacheControl: "no-store"]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie.headerValue)) }
        return EndpointResponse(status: .seeOther, headerFields: headers)
    }

    private var emailCodes: EmailCodeSignIn {
        EmailCodeSignIn(server: self.server, purpose: .account, csrf: self.csrf, clientAddress: self.clientAddress, now: self.now)
    }

    /// Sign-in step 1: a code for the address typed in.
    func requestCode(_ raw: String) async -> EndpointResponse {
        switch await self.emailCodes.requestCode(raw, clientName: "Account page") {
        case .problem(let problem): return self.page(problem)
        case .sent(let email, let code): return self.signInPage(.code, email: email, demoCode: self.configuration.demoMode ? code : nil)
        }
    }

    /// The sign-in page that reports `problem`.
    private func page(_ problem: SignInProblem) -> EndpointResponse {
        self.signInPage(
            problem.step == .email ? .email : .code,
            status: problem.status,
            message: problem.message,
            email: problem.email,
            retryAfter: problem.retryAfter
        )
    }

    /// Sign-in step 2: a right code sets the account session cookie and shows the page.
    func verifyCode(_ typed: String, email raw: String) async -> EndpointResponse {
        switch await self.emailCodes.verify(typed, email: raw) {
        case .problem(let problem):
            return self.page(problem)
        case .signedIn(let account):
            let lifetime = self.configuration.accountSessionLifetime
            let session = LoginSession(account: account, expiresAt: self.now.addingTimeInterval(lifetime), purpose: .account)
            let cookie = Cookie(
                name: self.server.cookieName(AuthorizationServer.accountCookie),
                value: self.server.seal(session),
                maxAge: Int(lifetime),
                secure: self.configuration.secureCookies
            )
            var response = EndpointResponse(status: .seeOther, headerFields: [.location: self.path, .cacheControl: "no-store"])
            response.headerFields.append(HTTPField(name: .setCookie, value: cookie.headerValue))
            return response
        }
    }

    /// The signed-in page: connected apps and a page of the host's data.
    func overview(
        _ session: LoginSession,
        after cursor: String? = nil,
        status: HTTPResponse.Status = .ok,
        message: String? = nil,
        notice: String? = nil
    ) async -> EndpointResponse {
        var page = self.basePage(.overview, csrf: self.sessionToken ?? "")
        page.status = status
        page.email = session.email
        page.message = message
        page.notice = notice
        do {
            page.apps = try await self.connectedApps(of: session.subject)
        } catch {
            self.server.logger.error("Connected apps could not be read: \(error)")
            page.status = .internalServerError
            page.message = "Your connected apps could not be read. Please try again."
        }
        if let provider = self.server.accountData {
            if let cursor, !Self.isCursor(cursor) {
                return await self.overview(session, status: .badRequest, message: "That page link is not valid; here is the first page.")
            }
            do {
                let section = try await provider.section(subject: session.subject, after: cursor)
                page.section = section
                if let next = section.nextCursor, Self.isCursor(next) { page.nextPageLink = self.path + "?after=" + next }
                if cursor != nil { page.firstPageLink = self.path }
            } catch {
                self.server.logger.error("Account data could not be read: \(error)")
                page.status = cursor == nil ? .internalServerError : .badRequest
                page.message = cursor == nil ? "Your data could not be read. Please try again." : "That page link is not valid any more."
                if cursor != nil { page.firstPageLink = self.path }
            }
        }
        return self.render(page)
    }

    /// Whether `cursor` is a cursor as ``AccountSection/nextCursor`` describes it, safe in a URL as it is.
    static func isCursor(_ cursor: String) -> Bool {
        !cursor.isEmpty && cursor.utf8.count <= 256
            && cursor.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D || byte == 0x5F
                    || byte == 0x2E
            }
    }

    private func connectedApps(of subject: String) async throws -> [AccountPage.ConnectedApp] {
        var apps: [AccountPage.ConnectedApp] = []
        for connection in try await self.server.grants.connections(subject: subject, at: self.now) {
            let client = try await self.server.clients.client(id: connection.clientID)
            var hosts: [String] = []
            for uri in client?.redirectURIs ?? [] where !hosts.contains(RedirectURI.displayHost(uri)) {
                hosts.append(RedirectURI.displayHost(uri))
            }
            apps.append(
                AccountPage.ConnectedApp(
                    clientID: connection.clientID,
                    name: client?.name ?? "An app that is no longer registered",
                    redirectHosts: hosts,
                    scopeDescriptions: connection.scopes.map { self.configuration.explanation(of: Scope(rawValue: $0)) },
                    firstAuthorized: Self.display(connection.firstAuthorizedAt),
                    lastUsed: connection.lastUsedAt.map(Self.display) ?? "Not recently",
                    isSignedIn: connection.isSignedIn
                )
            )
        }
        return apps
    }

    /// A time as the page shows it: `2026-12-02 10:40 UTC`.
    static func display(_ date: Date) -> String {
        let iso = date.formatted(.iso8601)
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5)) + " UTC"
    }
}
