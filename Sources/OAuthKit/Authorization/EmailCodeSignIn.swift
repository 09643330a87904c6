import EndpointCore
import Foundation
import HTTPTypes
import Logging

/// Signing in with a code sent by e-mail, shared by the authorization flow and the account page:
/// rate limits, codes stored as keyed hashes and bound to the browser's flow, counted tries.
struct EmailCodeSignIn {
    let server: AuthorizationServer
    /// What the code signs in to: a code asked for by one never works for the other.
    let purpose: LoginSession.Purpose
    /// The browser's flow (CSRF) cookie, which codes are bound to.
    let csrf: String
    let clientAddress: String
    let now: Date

    /// The sign-in flow of this browser for this purpose: a keyed hash of its flow cookie.
    var flowID: String {
        self.server.authority.keyedHash((self.purpose == .account ? "account-flow|" : "flow|") + self.csrf)
    }

    /// What became of a request for a code.
    enum Requested {
        /// The code was stored and handed to the delivery; `code` is for demo mode's page.
        case sent(email: String, code: String)
        case problem(SignInProblem)
    }

    /// Makes a code for the address typed in, stores its hash and delivers it.
    func requestCode(_ raw: String, clientName: String) async -> Requested {
        guard let email = EmailAddress.normalize(raw) else {
            return .problem(.init(.email, .badRequest, "Please enter a valid e-mail address, such as ada@example.com."))
        }
        let limits = self.server.limits
        if let wait = self.server.limiter.hit(
            [
                .init("email-from", key: "\(email)|\(ClientNetwork.site(of: self.clientAddress))", limits.emailPerAddressAndClient),
                .init("email", key: email, limits.emailPerAddress),
            ] + RateLimits.perClient("email-client", clientAddress: self.clientAddress, limits.emailPerClient),
            now: self.now
        ) {
            return .problem(.init(.email, .tooManyRequests, "Too many codes were requested. Please wait \(wait) seconds and try again.", retryAfter: wait))
        }
        let code = LoginCodes.make(randomBytes: self.server.environment.randomBytes(LoginCodes.length))
        let loginCode = LoginCode(
            id: self.server.environment.randomToken(bytes: 12),
            email: email,
            flowID: self.flowID,
            codeHash: self.server.authority.keyedHash(email + "|" + code),
            expiresAt: self.now.addingTimeInterval(self.server.configuration.loginCodeLifetime)
        )
        do {
            try await self.server.loginCodes.replaceLoginCode(loginCode)
            try await self.server.delivery.deliver(
                LoginCodeMessage(
                    code: code,
                    email: email,
                    clientName: clientName,
                    serverHost: self.server.configuration.issuerHost,
                    expiresAt: loginCode.expiresAt,
                    isAccountSignIn: self.purpose == .account
                )
            )
        } catch {
            self.server.logger.error("Login code could not be stored or delivered: \(error)")
            return .problem(.init(.email, .internalServerError, "The code could not be sent. Please try again in a moment."))
        }
        self.server.observer?.record(.loginCodeSent)
        return .sent(email: email, code: code)
    }

    /// What became of a typed code.
    enum Verified {
        /// The code was right: the person behind `account` is signed in.
        case signedIn(Account)
        case problem(SignInProblem)
    }

    /// Checks a typed code. Each try is counted before it is compared, in one conditional update,
    /// so parallel tries can never exceed the limit; and only the flow that asked for the code can
    /// try it. A right code creates the account on first sign-in.
    func verify(_ typed: String, email raw: String) async -> Verified {
        guard let email = EmailAddress.normalize(raw) else {
            return .problem(.init(.email, .badRequest, "Please enter your e-mail address again."))
        }
        if let wait = self.server.limiter.hit(
            RateLimits.perClient("code", clientAddress: self.clientAddress, self.server.limits.codeAttempts),
            now: self.now
        ) {
            return .problem(.init(.code, .tooManyRequests, "Too many attempts. Please wait \(wait) seconds and try again.", email: email, retryAfter: wait))
        }
        /// No code to try any more: back to the e-mail step to ask for a new one.
        func askAgain(_ message: String) -> Verified {
            self.server.observer?.record(.signIn(succeeded: false))
            return .problem(.init(.email, .badRequest, message, email: email))
        }
        let maxAttempts = self.server.configuration.loginCodeAttempts
        do {
            guard
                let stored = try await self.server.loginCodes.countLoginCodeAttempt(
                    email: email,
                    flowID: self.flowID,
                    at: self.now,
                    maxAttempts: maxAttempts
                )
            else {
                return askAgain("That code has expired or was used up. Please ask for a new one.")
            }
            let code = LoginCodes.normalize(typed)
            guard code.count == LoginCodes.length, constantTimeEqual(self.server.authority.keyedHash(email + "|" + code), stored.codeHash) else {
                let left = maxAttempts - stored.attempts
                if left <= 0 {
                    _ = try await self.server.loginCodes.deleteLoginCode(id: stored.id)
                    return askAgain("Too many wrong codes. Please ask for a new one.")
                }
                self.server.observer?.record(.signIn(succeeded: false))
                return .problem(.init(.code, .badRequest, "That code is not right. \(left) \(left == 1 ? "try" : "tries") left.", email: email))
            }
            // Only one of several parallel right tries consumes the code.
            guard try await self.server.loginCodes.deleteLoginCode(id: stored.id) else {
                return askAgain("That code was already used. Please ask for a new one.")
            }
            let subject = try await self.server.accounts.findOrCreateUser(email: email, at: self.now)
            if let account = try await self.server.accounts.account(subject: subject) {
                self.server.observer?.record(.signIn(succeeded: true))
                return .signedIn(account)
            }
            self.server.logger.error("Login failed: the account just signed in to is missing")
        } catch {
            self.server.logger.error("Login failed: \(error)")
        }
        return .problem(.init(.code, .internalServerError, "Something went wrong. Please try again.", email: email))
    }
}

/// A sign-in step that did not go through, the same on every page that signs people in: which
/// step to show again, with what status and message.
struct SignInProblem {
    enum Step { case email, code }

    var step: Step
    var status: HTTPResponse.Status
    var message: String
    /// The address to fill in again, when it was valid.
    var email: String?
    /// Seconds to wait, for a rate limit.
    var retryAfter: Int?

    init(_ step: Step, _ status: HTTPResponse.Status, _ message: String, email: String? = nil, retryAfter: Int? = nil) {
        self.step = step
        self.status = status
        self.message = message
        self.email = email
        self.retryAfter = retryAfter
    }
}

/// A browser's sign-in, kept in a sealed cookie: the authorization flow's and the account page's.
struct LoginSession: Codable {
    /// What a session (or a login code) is for: one never stands in for the other.
    enum Purpose: String, Codable {
        /// The authorization pages: approving apps (7 days).
        case signIn = "sign-in"
        /// The account page, which can disconnect apps and delete the account (an hour).
        case account
    }

    var subject: String
    var email: String
    var expiresAt: Int64
    /// The account's session generation when the session began; "Sign out everywhere" raises
    /// the account's, which ends this session. Absent in sessions sealed before generations existed.
    var generation: Int?
    /// Absent in sessions sealed before purposes existed, which were all sign-in sessions.
    var purpose: Purpose?

    init(account: Account, expiresAt: Date, purpose: Purpose) {
        self.subject = account.subject
        self.email = account.email
        self.expiresAt = Int64(expiresAt.timeIntervalSince1970)
        self.generation = account.sessionGeneration
        self.purpose = purpose
    }
}

extension AuthorizationServer {
    /// The cookie value that carries `session`.
    func seal(_ session: LoginSession) -> String {
        // Encoding a struct of strings and integers cannot fail.
        self.authority.seal(String(decoding: (try? JSONEncoder().encode(session)) ?? Data(), as: UTF8.self))
    }

    /// The session in a cookie value, if it is intact, unexpired, for `purpose`, and its account
    /// still exists and has not signed out everywhere since.
    func activeSession(_ value: String?, purpose: LoginSession.Purpose, now: Date) async -> LoginSession? {
        guard let value, let text = self.authority.unseal(value),
            let session = try? JSONDecoder().decode(LoginSession.self, from: Data(text.utf8)),
            session.purpose ?? .signIn == purpose,
            Double(session.expiresAt) > now.timeIntervalSince1970
        else { return nil }
        do {
            guard let account = try await self.accounts.account(subject: session.subject),
                account.sessionGeneration == session.generation ?? 0
            else { return nil }
            return session
        } catch {
            self.logger.error("Session lookup failed: \(error)")
            return nil
        }
    }

    /// The browser's flow cookie, which the sign-in forms carry as their CSRF token and login codes
    /// are bound to, and the `Set-Cookie` to send when the browser had none (or a malformed one).
    func flowCookie(_ cookies: [String: String]) -> (csrf: String, set: Cookie?) {
        if let existing = cookies[self.cookieName(Self.csrfCookie)], existing.utf8.count >= 32 { return (existing, nil) }
        let csrf = self.environment.randomToken()
        return (csrf, Cookie(name: self.cookieName(Self.csrfCookie), value: csrf, maxAge: 3600, secure: self.configuration.secureCookies))
    }

    /// The cookies of a `Cookie` header by name; the first of a repeated name counts.
    static func cookies(_ header: String?) -> [String: String] {
        var cookies: [String: String] = [:]
        for pair in (header ?? "").split(separator: ";") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, cookies[parts[0]] == nil { cookies[parts[0]] = parts[1] }
        }
        return cookies
    }
}
