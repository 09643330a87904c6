import Foundation
import HTTPTypes
import Hummingbird
import MCPCore
import NIOCore
import OAuthKit

/// Serves the authorization server's endpoints: metadata, registration, authorization pages,
/// token and revocation, by handing requests to ``AuthorizationServer``.
struct OAuthController: Sendable {
    let server: AuthorizationServer
    let pages: PageRenderer
    let clientAddresses: ClientAddressResolver

    /// The largest body of a registration, token or revocation request.
    static let maxBodyBytes = 64 * 1024

    func addRoutes(to router: Router<AppRequestContext>) {
        // Metadata, at the root and at every path-suffixed form clients probe.
        for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/**"] {
            router.get(RouterPath(path)) { _, _ in self.server.protectedResourceMetadata().hummingbirdResponse }
            router.on(RouterPath(path), method: .options) { _, _ in self.server.preflight().hummingbirdResponse }
        }
        // No OpenID configuration: the server issues no ID tokens, and OAuth metadata served there
        // lacks what OpenID Connect Discovery requires, so strict clients would reject it.
        for path in ["/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/**"] {
            router.get(RouterPath(path)) { _, _ in self.server.authorizationServerMetadata().hummingbirdResponse }
            router.on(RouterPath(path), method: .options) { _, _ in self.server.preflight().hummingbirdResponse }
        }

        // The endpoints, also under the default paths that clients without discovery assume.
        for path in ["/oauth/register", "/register"] {
            router.post(RouterPath(path)) { request, context in
                try await self.withBody(request) { body in
                    await self.server.register(
                        body: body,
                        contentType: request.headers[.contentType],
                        clientAddress: self.clientAddresses.address(of: request, context: context)
                    )
                }
            }
            router.on(RouterPath(path), method: .options) { _, _ in self.server.preflight().hummingbirdResponse }
        }
        for path in ["/oauth/token", "/token"] {
            router.post(RouterPath(path)) { request, context in
                try await self.withBody(request) { body in
                    await self.server.token(
                        body: body,
                        contentType: request.headers[.contentType],
                        clientAddress: self.clientAddresses.address(of: request, context: context)
                    )
                }
            }
            router.on(RouterPath(path), method: .options) { _, _ in self.server.preflight().hummingbirdResponse }
        }
        router.post("/oauth/revoke") { request, context in
            try await self.withBody(request) { body in
                await self.server.revoke(
                    body: body,
                    contentType: request.headers[.contentType],
                    clientAddress: self.clientAddresses.address(of: request, context: context)
                )
            }
        }
        router.on("/oauth/revoke", method: .options) { _, _ in self.server.preflight().hummingbirdResponse }

        for path in ["/oauth/authorize", "/authorize"] {
            router.get(RouterPath(path)) { request, context in
                let outcome = await self.server.authorize(
                    query: request.uri.query,
                    formBody: nil,
                    cookieHeader: request.headers[.cookie],
                    clientAddress: self.clientAddresses.address(of: request, context: context)
                )
                return self.response(for: outcome, isPost: false)
            }
            router.post(RouterPath(path)) { request, context in
                guard let body = try? await request.body.collect(upTo: Self.maxBodyBytes) else {
                    return self.response(for: .errorPage(title: "Request too large", message: "The form was too large.", status: 413), isPost: true)
                }
                let outcome = await self.server.authorize(
                    query: nil,
                    formBody: Array(buffer: body),
                    cookieHeader: request.headers[.cookie],
                    clientAddress: self.clientAddresses.address(of: request, context: context)
                )
                return self.response(for: outcome, isPost: true)
            }
        }
    }

    private func withBody(_ request: Request, _ handle: ([UInt8]) async -> OAuthResponse) async throws -> Response {
        guard let body = try? await request.body.collect(upTo: Self.maxBodyBytes) else {
            var response = OAuthResponse(status: .contentTooLarge)
            response.headerFields[.contentType] = "application/json"
            response.body = Array(#"{"error":"invalid_request","error_description":"The request body is too large."}"#.utf8)
            return response.hummingbirdResponse
        }
        return await handle(Array(buffer: body)).hummingbirdResponse
    }

    /// The HTTP answer for a step of the login flow.
    func response(for outcome: AuthorizeOutcome, isPost: Bool) -> Response {
        switch outcome {
        case .errorPage(let title, let message, let status):
            let html = self.pages.render("error", title: title, values: ["heading": .text(title), "message": .text(message)])
            return Response.html(html, status: HTTPResponse.Status(code: status))
        case .redirect(let location, let cookies):
            var headers: HTTPFields = [.location: location, .cacheControl: "no-store", .referrerPolicy: "no-referrer"]
            for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie.headerValue)) }
            // 303 turns the form POST into a GET at the client's redirect URI.
            return Response(status: isPost ? .seeOther : .found, headers: headers)
        case .page(let page, let cookies):
            let values: [String: PageValue] = [
                "clientName": .text(page.clientName),
                "redirectHost": .text(page.redirectHost),
                "scopes": .list(page.scopeDescriptions.map(PageValue.text)),
                "email": .text(page.email ?? ""),
                "demoCode": .optional(page.demoCode),
                "message": .optional(page.message),
                "csrf": .text(page.csrfToken),
                "fields": .list(page.requestFields.map { .object(["name": .text($0.name), "value": .text($0.value)]) }),
            ]
            let title =
                switch page.step {
                case .email: "Sign in"
                case .code: "Enter your code"
                case .consent: "Allow access?"
                }
            var response = Response.html(
                self.pages.render(page.step.rawValue, title: title, values: values),
                status: HTTPResponse.Status(code: page.status)
            )
            for cookie in cookies { response.headers.append(HTTPField(name: .setCookie, value: cookie.headerValue)) }
            if let retryAfter = page.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        }
    }
}

/// Works out the client's address: the peer, or, when the peer is a trusted reverse proxy, the
/// nearest untrusted address in `X-Forwarded-For`.
struct ClientAddressResolver: Sendable {
    let trustedProxies: Set<String>

    /// The client's address, for rate limits (OAuthKit counts IPv6 clients by network).
    func address(of request: Request, context: AppRequestContext) -> String {
        self.address(peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: .xForwardedFor])
    }

    /// The client's address given the peer's and the `X-Forwarded-For` header values.
    func address(peer: String?, forwardedFor: [String]) -> String {
        let peer = peer ?? "unknown"
        guard self.trustedProxies.contains(peer) else { return peer }
        let chain = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        return chain.last { !self.trustedProxies.contains($0) && !$0.isEmpty } ?? peer
    }
}

extension OAuthResponse {
    var hummingbirdResponse: Response {
        Response(
            status: self.status,
            headers: self.headerFields,
            body: self.body.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: self.body))
        )
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}

/// Turns access tokens into MCP principals.
struct OAuthBearerAuthenticator: BearerAuthenticator {
    let server: AuthorizationServer

    func authenticate(token: String) async -> Principal? {
        self.server.verifyAccessToken(token).map { Principal(subject: $0.subject, scopes: Set($0.scopes)) }
    }
}
