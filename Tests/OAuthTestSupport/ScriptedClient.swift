public import EndpointTestSupport
import Crypto
import EndpointCore
public import Foundation
public import HTTPTypes
import Testing

/// A page or redirect of the login flow, with what a browser would keep from it.
public struct BrowserAnswer: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var html: String

    public init(status: HTTPResponse.Status, headers: HTTPFields, html: String) {
        self.status = status
        self.headers = headers
        self.html = html
    }

    public var location: String? { self.headers[.location] }
    public var setCookies: [String] { self.headers[values: .setCookie] }

    /// The hidden and named fields of the page's first form, as a browser would submit them.
    public var firstFormFields: [(String, String)] {
        guard let start = self.html.range(of: "<form"), let end = self.html.range(of: "</form>", range: start.upperBound..<self.html.endIndex) else {
            return []
        }
        let form = String(self.html[start.lowerBound..<end.upperBound])
        let pattern = #/<input type="hidden" name="([^"]+)" value="([^"]*)">/#
        return form.matches(of: pattern).map { (unescape(String($0.output.1)), unescape(String($0.output.2))) }
    }

    /// Where the page's first form posts to.
    public var formAction: String? {
        self.html.firstMatch(of: #/<form method="post" action="([^"]*)">/#).map { unescape(String($0.output.1)) }
    }

    public var demoCode: String? {
        self.html.firstMatch(of: #/id="demo-code">([A-Z0-9]+)</#).map { String($0.output.1) }
    }

    /// The query parameters of the redirect.
    public var redirectParameters: [String: String] {
        guard let location, let components = URLComponents(string: location) else { return [:] }
        return Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }
}

/// HTML text with its entities decoded, on bytes (an entity followed by a combining mark is one
/// character to `String`, so character-level replacing would miss it).
public func unescape(_ text: String) -> String {
    let entities: [(String, UInt8)] = [("&quot;", 0x22), ("&#39;", 0x27), ("&lt;", 0x3C), ("&gt;", 0x3E), ("&amp;", 0x26)]
    let bytes = Array(text.utf8)
    var output: [UInt8] = []
    var index = 0
    outer: while index < bytes.count {
        if bytes[index] == 0x26 {
            for (entity, byte) in entities where bytes[index...].starts(with: entity.utf8) {
                output.append(byte)
                index += entity.utf8.count
                continue outer
            }
        }
        output.append(bytes[index])
        index += 1
    }
    return String(decoding: output, as: UTF8.self)
}

public func formEncode(_ fields: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return fields.map {
        "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
    }
    .joined(separator: "&")
}

/// A PKCE pair.
public struct PKCEPair: Sendable {
    public let verifier: String
    public let challenge: String

    public init(verifier: String = String(repeating: "v", count: 20) + UUID().uuidString.replacingOccurrences(of: "-", with: "")) {
        self.verifier = verifier
        self.challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// A scripted OAuth client and browser: registers, signs in through the HTML forms, consents and
/// exchanges codes, keeping cookies like a browser.
public final class ScriptedClient {
    public let client: any TestTransport
    public var cookies: [String: String] = [:]
    public var clientID = ""
    public let redirectURI: String
    /// Sent as `X-Forwarded-For`: the client address behind a trusted proxy.
    public var forwardedFor: String?
    /// Where the authorization server's endpoints are mounted (`/oauth/token` follows it).
    public var mountPath = ""
    /// The resource the client asks tokens for.
    public var resource = "https://todo.example.com/"

    public init(_ client: any TestTransport, redirectURI: String = "http://127.0.0.1:33418/callback") {
        self.client = client
        self.redirectURI = redirectURI
    }

    public func register(name: String = "Test client", redirectURIs: [String]? = nil) async throws -> (HTTPResponse.Status, [String: Any]) {
        let body = try JSONSerialization.data(withJSONObject: [
            "client_name": name, "redirect_uris": redirectURIs ?? [self.redirectURI], "token_endpoint_auth_method": "none",
        ])
        return try await self.client.execute(
            uri: self.mountPath + "/oauth/register",
            method: .post,
            headers: [.contentType: "application/json"],
            body: Array(body)
        ) { response in
            let json = response.json
            if let id = json["client_id"] as? String { self.clientID = id }
            return (response.status, json)
        }
    }

    public func browse(_ method: HTTPRequest.Method, _ uri: String, form: [(String, String)]? = nil) async throws -> BrowserAnswer {
        var headers: HTTPFields = [:]
        if !self.cookies.isEmpty { headers[.cookie] = self.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        if form != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        if let forwardedFor { headers[.xForwardedFor] = forwardedFor }
        return try await self.client.execute(uri: uri, method: method, headers: headers, body: form.map { Array(formEncode($0).utf8) }) {
            response in
            let answer = BrowserAnswer(status: response.status, headers: response.headers, html: response.text)
            for cookie in answer.setCookies {
                let pair = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
                if cookie.contains("Max-Age=0") { self.cookies[pair[0]] = nil } else if pair.count == 2 { self.cookies[pair[0]] = pair[1] }
            }
            return answer
        }
    }

    public func authorizeURI(pkce: PKCEPair, state: String = "xyz", scope: String? = "todos:read todos:write", extra: [(String, String)] = []) -> String {
        var fields: [(String, String)] = [
            ("response_type", "code"), ("client_id", self.clientID), ("redirect_uri", self.redirectURI), ("state", state),
            ("code_challenge", pkce.challenge), ("code_challenge_method", "S256"), ("resource", self.resource),
        ]
        if let scope { fields.append(("scope", scope)) }
        return self.mountPath + "/oauth/authorize?" + formEncode(fields + extra)
    }

    /// The e-mail page of a new authorization request (registering first when needed).
    public func emailPage(pkce: PKCEPair = PKCEPair()) async throws -> BrowserAnswer {
        if self.clientID.isEmpty { _ = try await self.register() }
        return try await self.browse(.get, self.authorizeURI(pkce: pkce))
    }

    /// The code page after entering `email`.
    public func codePage(email: String = "ada@example.com") async throws -> BrowserAnswer {
        try await self.submit(try await self.emailPage(), [("email", email)])
    }

    /// Submits the page's first form with `fields` added.
    public func submit(_ page: BrowserAnswer, _ fields: [(String, String)]) async throws -> BrowserAnswer {
        try await self.browse(.post, page.formAction ?? "(the page has no form)", form: page.firstFormFields + fields)
    }

    /// The whole browser part: e-mail, code, consent. Returns the redirect to the client.
    public func signIn(email: String, pkce: PKCEPair, state: String = "xyz", scope: String? = "todos:read todos:write") async throws -> BrowserAnswer {
        var page = try await self.browse(.get, self.authorizeURI(pkce: pkce, state: state, scope: scope))
        if page.status == .found { return page }
        if page.html.contains(#"name="step" value="email""#) {
            let codePage = try await self.submit(page, [("email", email)])
            let code = try #require(codePage.demoCode)
            page = try await self.submit(codePage, [("code", code)])
            if page.status == .seeOther { return page }
        }
        #expect(page.html.contains(#"name="approve" value="yes""#), "consent page")
        return try await self.submit(page, [("approve", "yes")])
    }

    public func token(_ fields: [(String, String)]) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        try await self.client.execute(
            uri: self.mountPath + "/oauth/token",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: Array(formEncode(fields).utf8)
        ) { response in
            let json = response.json
            return (response.status, json, response.headers)
        }
    }

    public func exchange(code: String, pkce: PKCEPair) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        try await self.token([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", self.redirectURI), ("client_id", self.clientID),
            ("code_verifier", pkce.verifier), ("resource", self.resource),
        ])
    }

    public func refresh(_ refreshToken: String) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        try await self.token([("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", self.clientID)])
    }

    /// The refresh token that a successful refresh of `refreshToken` returns.
    public func rotate(_ refreshToken: String) async throws -> String {
        try #require(try await self.refresh(refreshToken).1["refresh_token"] as? String)
    }

    /// Registration (when needed) and sign-in: an authorization code and the PKCE pair it needs.
    public func authorizationCode(email: String = "ada@example.com", scope: String? = "todos:read todos:write") async throws -> (
        code: String, pkce: PKCEPair
    ) {
        if self.clientID.isEmpty { _ = try await self.register() }
        let pkce = PKCEPair()
        let redirect = try await self.signIn(email: email, pkce: pkce, scope: scope)
        return (try #require(redirect.redirectParameters["code"]), pkce)
    }

    /// Registration, sign-in and code exchange: a fresh access and refresh token.
    public func tokens(email: String = "ada@example.com") async throws -> (access: String, refresh: String) {
        let (code, pkce) = try await self.authorizationCode(email: email)
        let (status, json, _) = try await self.exchange(code: code, pkce: pkce)
        #expect(status == .ok)
        return (try #require(json["access_token"] as? String), try #require(json["refresh_token"] as? String))
    }
}


extension TestTransport {
    /// The JSON object at `uri`, which must answer 200 with `application/json`.
    public func json(_ uri: String) async throws -> [String: Any] {
        try await self.execute(uri: uri, method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            return response.json
        }
    }

    /// Posts `fields` as a form to `uri`.
    public func form(_ uri: String, _ fields: [(String, String)]) async throws -> HTTPResponse.Status {
        try await self.execute(
            uri: uri,
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: formEncode(fields)
        ) { $0.status }
    }

    /// Posts `body` to the registration endpoint.
    public func rawRegister(_ body: String, contentType: String = "application/json") async throws -> (HTTPResponse.Status, [String: Any]) {
        try await self.execute(uri: "/oauth/register", method: .post, headers: [.contentType: contentType], body: body) { response in
            (response.status, response.json)
        }
    }
}
