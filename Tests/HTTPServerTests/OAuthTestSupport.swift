import EndpointCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import OAuthKit
import Storage
import Testing

@testable import HTTPServer

/// A real app (with its own authorization server) on an in-memory database and a test clock.
struct OAuthFixture {
    let clock = TestClock()
    var configuration = ServerConfiguration(publicURL: URL(string: "https://todo.example.com"), databasePath: ":memory:")
    let database: AppDatabase

    init() throws { self.database = try AppDatabase.inMemory() }

    func app() async throws -> some ApplicationProtocol {
        try await buildApplication(self.configuration, dependencies: AppDependencies(now: self.clock.now, database: self.database))
    }
}

/// A page or redirect of the login flow, with what a browser would keep from it.
struct BrowserAnswer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var html: String

    var location: String? { self.headers[.location] }
    var setCookies: [String] { self.headers[values: .setCookie] }

    /// The hidden and named fields of the page's first form, as a browser would submit them.
    var firstFormFields: [(String, String)] {
        guard let start = self.html.range(of: "<form"), let end = self.html.range(of: "</form>", range: start.upperBound..<self.html.endIndex) else {
            return []
        }
        let form = String(self.html[start.lowerBound..<end.upperBound])
        let pattern = #/<input type="hidden" name="([^"]+)" value="([^"]*)">/#
        return form.matches(of: pattern).map { (unescape(String($0.output.1)), unescape(String($0.output.2))) }
    }

    var demoCode: String? {
        self.html.firstMatch(of: #/id="demo-code">([A-Z0-9]+)</#).map { String($0.output.1) }
    }

    /// The query parameters of the redirect.
    var redirectParameters: [String: String] {
        guard let location, let components = URLComponents(string: location) else { return [:] }
        return Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }
}

/// HTML text with its entities decoded, on bytes (an entity followed by a combining mark is one
/// character to `String`, so character-level replacing would miss it).
func unescape(_ text: String) -> String {
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

func formEncode(_ fields: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return fields.map {
        "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
    }
    .joined(separator: "&")
}

/// A PKCE pair.
struct PKCEPair {
    let verifier: String
    let challenge: String

    init(verifier: String = String(repeating: "v", count: 20) + UUID().uuidString.replacingOccurrences(of: "-", with: "")) {
        self.verifier = verifier
        self.challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// A scripted OAuth client and browser: registers, signs in through the HTML forms, consents and
/// exchanges codes, keeping cookies like a browser.
final class ScriptedClient {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var clientID = ""
    let redirectURI: String
    /// Sent as `X-Forwarded-For`, for tests behind a trusted proxy.
    var forwardedFor: String?

    init(_ client: any TestClientProtocol, redirectURI: String = "http://127.0.0.1:33418/callback") {
        self.client = client
        self.redirectURI = redirectURI
    }

    func register(name: String = "Test client", redirectURIs: [String]? = nil) async throws -> (HTTPResponse.Status, [String: Any]) {
        let body = try JSONSerialization.data(withJSONObject: [
            "client_name": name, "redirect_uris": redirectURIs ?? [self.redirectURI], "token_endpoint_auth_method": "none",
        ])
        return try await self.client.execute(
            uri: "/oauth/register",
            method: .post,
            headers: [.contentType: "application/json"],
            body: ByteBuffer(bytes: body)
        ) { response in
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            if let id = json["client_id"] as? String { self.clientID = id }
            return (response.status, json)
        }
    }

    func browse(_ method: HTTPRequest.Method, _ uri: String, form: [(String, String)]? = nil) async throws -> BrowserAnswer {
        var headers: HTTPFields = [:]
        if !self.cookies.isEmpty { headers[.cookie] = self.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        if form != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        if let forwardedFor { headers[.xForwardedFor] = forwardedFor }
        return try await self.client.execute(uri: uri, method: method, headers: headers, body: form.map { ByteBuffer(string: formEncode($0)) }) {
            response in
            let answer = BrowserAnswer(status: response.status, headers: response.headers, html: String(buffer: response.body))
            for cookie in answer.setCookies {
                let pair = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
                if cookie.contains("Max-Age=0") { self.cookies[pair[0]] = nil } else if pair.count == 2 { self.cookies[pair[0]] = pair[1] }
            }
            return answer
        }
    }

    func authorizeURI(pkce: PKCEPair, state: String = "xyz", scope: String? = "todos:read todos:write", extra: [(String, String)] = []) -> String {
        var fields: [(String, String)] = [
            ("response_type", "code"), ("client_id", self.clientID), ("redirect_uri", self.redirectURI), ("state", state),
            ("code_challenge", pkce.challenge), ("code_challenge_method", "S256"), ("resource", "https://todo.example.com/"),
        ]
        if let scope { fields.append(("scope", scope)) }
        return "/oauth/authorize?" + formEncode(fields + extra)
    }

    /// The e-mail page of a new authorization request (registering first when needed).
    func emailPage(pkce: PKCEPair = PKCEPair()) async throws -> BrowserAnswer {
        if self.clientID.isEmpty { _ = try await self.register() }
        return try await self.browse(.get, self.authorizeURI(pkce: pkce))
    }

    /// The code page after entering `email`.
    func codePage(email: String = "ada@example.com") async throws -> BrowserAnswer {
        try await self.submit(try await self.emailPage(), [("email", email)])
    }

    /// Submits the page's first form with `fields` added.
    func submit(_ page: BrowserAnswer, _ fields: [(String, String)]) async throws -> BrowserAnswer {
        try await self.browse(.post, "/oauth/authorize", form: page.firstFormFields + fields)
    }

    /// The whole browser part: e-mail, code, consent. Returns the redirect to the client.
    func signIn(email: String, pkce: PKCEPair, state: String = "xyz", scope: String? = "todos:read todos:write") async throws -> BrowserAnswer {
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

    func token(_ fields: [(String, String)]) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        try await self.client.execute(
            uri: "/oauth/token",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: formEncode(fields))
        ) { response in
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            return (response.status, json, response.headers)
        }
    }

    func exchange(code: String, pkce: PKCEPair) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        try await self.token([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", self.redirectURI), ("client_id", self.clientID),
            ("code_verifier", pkce.verifier), ("resource", "https://todo.example.com/"),
        ])
    }

    func refresh(_ refreshToken: String) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        try await self.token([("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", self.clientID)])
    }

    /// The refresh token that a successful refresh of `refreshToken` returns.
    func rotate(_ refreshToken: String) async throws -> String {
        try #require(try await self.refresh(refreshToken).1["refresh_token"] as? String)
    }

    /// Registration (when needed) and sign-in: an authorization code and the PKCE pair it needs.
    func authorizationCode(email: String = "ada@example.com", scope: String? = "todos:read todos:write") async throws -> (
        code: String, pkce: PKCEPair
    ) {
        if self.clientID.isEmpty { _ = try await self.register() }
        let pkce = PKCEPair()
        let redirect = try await self.signIn(email: email, pkce: pkce, scope: scope)
        return (try #require(redirect.redirectParameters["code"]), pkce)
    }

    /// Registration, sign-in and code exchange: a fresh access and refresh token.
    func tokens(email: String = "ada@example.com") async throws -> (access: String, refresh: String) {
        let (code, pkce) = try await self.authorizationCode(email: email)
        let (status, json, _) = try await self.exchange(code: code, pkce: pkce)
        #expect(status == .ok)
        return (try #require(json["access_token"] as? String), try #require(json["refresh_token"] as? String))
    }
}

extension Data {
    init(buffer: ByteBuffer) { self.init(buffer.readableBytesView) }
}
