import EndpointCore
import Foundation
import HTTPTypes
import Logging

/// The account page: a person signs in with an e-mail code (its own session cookie), sees the
/// apps they connected and the host's data for them, and can disconnect apps, sign out
/// everywhere, download their data and delete their account.
///
/// Every form is a POST carrying a CSRF token (before sign-in the browser's flow cookie, after it a
/// keyed hash of the session cookie), and a POST whose `Origin` is another site is refused. Every
/// action answers with a redirect (303) to the page, so a reload never repeats it.
extension AuthorizationServer {
    static let accountCookie = "account_session"

    /// What the notices after an action say, by the `notice` query parameter; any other value shows nothing.
    static let accountNotices: [String: String] = [
        "disconnected": "The app is disconnected: its access ended at once, and it must ask you again to connect.",
        "signed-out": "You are signed out.",
        "signed-out-everywhere": "You are signed out everywhere: on every browser, and every connected app must sign in again.",
        "deleted": "Your account and everything kept with it are deleted.",
    ]

    /// `GET` and `POST` of the account page.
    func accountPage(
        _ request: HTTPRequest,
        query: String?,
        body: some EndpointRequestBody,
        clientAddress: String,
        path: String
    ) async -> EndpointResponse {
        let now = self.environment.now()
        let cookies = Self.cookies(request.headerFields[.cookie])
        let (csrf, flowCookie) = self.flowCookie(cookies)
        let setCookies = flowCookie.map { [$0] } ?? []
        let sealedSession = cookies[self.cookieName(Self.accountCookie)]
        let session = await self.activeSession(sealedSession, purpose: .account, now: now)
        let context = AccountContext(
            server: self,
            path: path,
            csrf: csrf,
            sessionToken: sealedSession.map { self.authority.keyedHash("account-form|" + $0) },
            clientAddress: clientAddress,
            now: now
        )

        var response: EndpointResponse
        if request.method == .get {
            let parameters = FormData.parse(query ?? "")
            let notice = parameters["notice"].flatMap { Self.accountNotices[$0] }
            if let session {
                response = await context.overview(session, after: parameters["after"], notice: notice)
            } else {
                response = context.signInPage(.email, notice: notice)
            }
        } else {
            response = await self.accountAction(request, body: body, session: session, context: context)
        }
        for cookie in setCookies { response.headerFields.append(HTTPField(name: .setCookie, value: cookie.headerValue)) }
        return response
    }

    private func accountAction(
        _ request: HTTPRequest,
        body: some EndpointRequestBody,
        session: LoginSession?,
        context: AccountContext
    ) async -> EndpointResponse {
        guard self.isSameSite(request) else {
            return context.signInPage(.email, status: .forbidden, message: "This form was sent from another site, so it was refused.")
        }
        guard let bytes = try? await body.collect(upTo: self.configuration.maxBodyBytes) else {
            return context.signInPage(.email, status: .contentTooLarge, message: "The form was too large.")
        }
        let fields = Self.isForm(request.headerFields[.contentType]) ? FormData.parse(String(decoding: bytes, as: UTF8.self)) : [:]
        let action = fields["action"] ?? ""

        // Signing in: the forms carry the browser's flow cookie.
        if action == "email" || action == "code" {
            guard let sent = fields["csrf"], constantTimeEqual(sent, context.csrf) else {
                return context.signInPage(.email, status: .forbidden, message: "This form has expired. Please enter your e-mail address again.")
            }
            return action == "email"
                ? await context.requestCode(fields["email"] ?? "")
                : await context.verifyCode(fields["code"] ?? "", email: fields["email"] ?? "")
        }

        // Signing out clears this browser's cookies whatever state its session is in.
        if action == "signout" {
            return context.redirect(notice: "signed-out", cookies: self.signedOutCookies)
        }
        // Signed in: the forms carry a token derived from the session cookie.
        guard let session, let token = context.sessionToken else {
            return context.signInPage(.email, status: .forbidden, message: "You are not signed in (or your session ended). Please sign in again.")
        }
        guard let sent = fields["csrf"], constantTimeEqual(sent, token) else {
            return await context.overview(session, status: .forbidden, message: "This form has expired. Please try again.")
        }
        do {
            switch action {
            case "disconnect":
                guard let clientID = fields["client_id"], !clientID.isEmpty else {
                    return await context.overview(session, status: .badRequest, message: "Choose the app to disconnect.")
                }
                try await self.endGrants(of: session.subject, clientID: clientID, forgetConsent: true)
                self.logger.notice("An app was disconnected from the account page")
                return context.redirect(notice: "disconnected")
            case "signout-everywhere":
                // Sessions first: from then on no browser can start a new grant.
                try await self.accounts.endSessions(subject: session.subject)
                try await self.endGrants(of: session.subject, clientID: nil, forgetConsent: false)
                return context.redirect(notice: "signed-out-everywhere", cookies: self.signedOutCookies)
            case "download":
                if let wait = self.limiter.hit(
                    [.init("account-export", key: session.subject, self.limits.accountExports)],
                    now: context.now
                ) {
                    var page = await context.overview(
                        session,
                        status: .tooManyRequests,
                        message: "You downloaded your data a moment ago. Please wait \(wait) seconds and try again."
                    )
                    page.headerFields[.retryAfter] = String(wait)
                    return page
                }
                return try await self.download(session)
            case "delete":
                guard EmailAddress.normalize(fields["confirm"] ?? "") == session.email else {
                    return await context.overview(
                        session,
                        status: .badRequest,
                        message: "To delete your account, type your e-mail address exactly as shown. Nothing was deleted."
                    )
                }
                try await self.deleteAccount(session)
                return context.redirect(notice: "deleted", cookies: self.signedOutCookies)
            default:
                return await context.overview(session, status: .badRequest, message: "That action is unknown. Nothing was changed.")
            }
        } catch {
            self.logger.error("Account action failed: \(error)")
            return await context.overview(session, status: .internalServerError, message: "Something went wrong, and the action may not be complete. Please try again.")
        }
    }

    /// Whether a form POST comes from the page itself, as far as the browser says: `Sec-Fetch-Site`
    /// when it is sent (`same-origin`, or `none` for a person's own action such as a bookmark), else
    /// `Origin` when it names one. Browsers send `Origin: null` for the pages' own forms (the pages'
    /// `Referrer-Policy` is `no-referrer`), so `null` and an absent header leave the decision to the
    /// CSRF token, which every form needs anyway.
    func isSameSite(_ request: HTTPRequest) -> Bool {
        if let site = request.headerFields[Self.secFetchSite] { return site == "same-origin" || site == "none" }
        guard let origin = request.headerFields[.origin], origin != "null" else { return true }
        return origin.lowercased() == self.configuration.issuerOrigin
    }

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// Cookies that end both the account page's and the sign-in pages' session in this browser.
    private var signedOutCookies: [Cookie] {
        [Self.accountCookie, Self.sessionCookie].map {
            Cookie(name: self.cookieName($0), value: "", maxAge: 0, secure: self.configuration.secureCookies)
        }
    }

    /// Revokes the person's grants for one client (or all), and refuses their access tokens at once.
    func endGrants(of subject: String, clientID: String?, forgetConsent: Bool) async throws {
        let families = try await self.grants.revokeGrants(
            subject: subject,
            clientID: clientID,
            forgetConsent: forgetConsent,
            at: self.environment.now()
        )
        // Counted from after the revocation, so that a token refreshed just before it is covered.
        let now = self.environment.now()
        let until = now.addingTimeInterval(self.configuration.accessTokenLifetime + 1)
        for family in families {
            try await self.keys.revokeGrant(id: family, expiresAt: until)
            self.authority.revokeGrant(id: family, until: until, now: now)
        }
    }

    /// Deletes the account: first its tokens stop working, then the host's data goes, then the
    /// account with everything the authorization server keeps of it. A failure part-way leaves
    /// the account in place, so the person can try again.
    private func deleteAccount(_ session: LoginSession) async throws {
        try await self.endGrants(of: session.subject, clientID: nil, forgetConsent: true)
        try await self.accountData?.deleteAll(subject: session.subject)
        try await self.delivery.discardPending(for: session.email)
        try await self.accounts.deleteAccount(subject: session.subject)
        self.logger.notice("An account was deleted from the account page")
    }

    /// "Download my data": the account, its connected apps and the host's data, as a JSON file.
    private func download(_ session: LoginSession) async throws -> EndpointResponse {
        let now = self.environment.now()
        guard let account = try await self.accounts.account(subject: session.subject) else {
            throw OAuthError(.serverError, "The account is gone.")
        }
        var apps: [ExportedApp] = []
        for connection in try await self.grants.connections(subject: session.subject, at: now) {
            let client = try await self.clients.client(id: connection.clientID)
            apps.append(
                ExportedApp(
                    clientId: connection.clientID,
                    name: client?.name,
                    redirectUris: client?.redirectURIs ?? [],
                    scopes: connection.scopes,
                    firstAuthorizedAt: connection.firstAuthorizedAt,
                    lastUsedAt: connection.lastUsedAt,
                    signedIn: connection.isSignedIn
                )
            )
        }
        var data: (key: String, value: any Encodable & Sendable)?
        if let provider = self.accountData { data = (provider.exportKey, try await provider.export(subject: session.subject)) }
        let export = AccountExport(
            exportedAt: now,
            server: self.configuration.issuer,
            account: .init(email: account.email, createdAt: account.createdAt),
            connectedApps: apps,
            data: data
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let day = String(now.formatted(.iso8601).prefix(10))
        return EndpointResponse(
            status: .ok,
            headerFields: [
                .contentType: "application/json; charset=utf-8",
                .contentDisposition: "attachment; filename=\"account-data-\(day).json\"",
                .cacheControl: "no-store",
                .xContentTypeOptions: "nosniff",
            ],
            body: Array(try encoder.encode(export))
        )
    }
}

/// The file "Download my data" saves.
struct AccountExport: Encodable {
    /// The keys of the file itself, which the host's data cannot take.
    static let reservedKeys: Set<String> = ["exportedAt", "server", "account", "connectedApps"]

    struct AccountFacts: Encodable {
        var email: String
        var createdAt: Date
    }

    var exportedAt: Date
    var server: String
    var account: AccountFacts
    var connectedApps: [ExportedApp]
    /// The host's data under its key.
    var data: (key: String, value: any Encodable & Sendable)?

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { self.stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(self.exportedAt, forKey: Key("exportedAt"))
        try container.encode(self.server, forKey: Key("server"))
        try container.encode(self.account, forKey: Key("account"))
        try container.encode(self.connectedApps, forKey: Key("connectedApps"))
        if let data { try container.encode(data.value, forKey: Key(data.key)) }
    }
}

struct ExportedApp: Encodable {
    var clientId: String
    var name: String?
    var redirectUris: [String]
    var scopes: [String]
    var firstAuthorizedAt: Date
    var lastUsedAt: Date?
    var signedIn: Bool
}

extension HTTPField.Name {
    static let contentDisposition = HTTPField.Name("Content-Disposition")!
}
