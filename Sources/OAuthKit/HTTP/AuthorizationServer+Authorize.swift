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
    ///   - path: the path that served the request, where the pages' forms post back to.
    func authorize(query: String?, formBody: [UInt8]?, cookieHeader: String?, clientAddress: String, path: String) async -> AuthorizeOutcome {
        let fields = formBody.map { FormData.parse(String(decoding: $0, as: UTF8.self)) } ?? FormData.parse(query ?? "")
        return await self.authorize(
            fields: fields,
            isPost: formBody != nil,
            cookies: Self.cookies(cookieHeader),
            clientAddress: clientAddress,
            path: path
        )
    }

    /// `GET` and `POST /oauth/authorize`.
    ///
    /// - Parameters:
    ///   - fields: the query parameters (GET) or form fields (POST).
    ///   - isPost: whether the request is a form submission.
    ///   - cookies: the request's cookies.
    ///   - clientAddress: the client's IP address, for rate limits.
    ///   - path: the path that served the request, where the pages' forms post back to.
    func authorize(fields: [String: String], isPost: Bool, cookies: [String: String], clientAddress: String, path: String) async -> AuthorizeOutcome {
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
        let (csrf, flowCookie) = self.flowCookie(cookies)
        var setCookies = flowCookie.map { [$0] } ?? []
        let flow = SignInFlow(
            server: self,
            request: request,
            client: client,
            redirectURI: redirectURI,
            scopes: scopes,
            csrf: csrf,
            clientAddress: clientAddress,
            formAction: path,
            now: now
        )
        let session = await self.activeSession(cookies[self.cookieName(Self.sessionCookie)], purpose: .signIn, now: now)

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
}
