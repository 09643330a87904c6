import EndpointCore
import Foundation
import HTTPTypes

/// The answers of the JSON endpoints: metadata, registration, token and revocation.
extension EndpointResponse {
    /// A JSON answer that no cache keeps and any origin may read (these endpoints take no cookies).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> EndpointResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return EndpointResponse(
            status: status,
            headerFields: [
                .contentType: "application/json",
                .cacheControl: "no-store",
                .pragma: "no-cache",
                .accessControlAllowOrigin: "*",
            ],
            body: Array((try? encoder.encode(value)) ?? Data("{}".utf8))
        )
    }

    /// The RFC 6749 §5.2 error body for `error`.
    static func error(_ error: OAuthError) -> EndpointResponse {
        var response = EndpointResponse.json(
            ["error": error.code.rawValue, "error_description": error.description],
            status: error.status
        )
        if let retryAfter = error.retryAfter { response.headerFields[.retryAfter] = String(retryAfter) }
        if error.status == .unauthorized { response.headerFields[.wwwAuthenticate] = #"Basic realm="oauth""# }
        return response
    }

    /// The answer to a CORS preflight of the public endpoints.
    static var preflight: EndpointResponse {
        EndpointResponse(
            status: .noContent,
            headerFields: [
                .accessControlAllowOrigin: "*",
                .accessControlAllowMethods: "GET, POST, OPTIONS",
                .accessControlAllowHeaders: "Authorization, Content-Type, MCP-Protocol-Version",
                .accessControlMaxAge: "86400",
            ]
        )
    }
}

extension HTTPField.Name {
    static let pragma = HTTPField.Name("Pragma")!
}

/// A cookie the authorization pages set.
package struct Cookie: Hashable, Sendable {
    /// The cookie's name, with the `__Host-` prefix when cookies are secure.
    package var name: String
    /// The cookie's value, such as a sealed login session or a CSRF token; empty when the cookie is deleted.
    package var value: String
    /// Seconds until it expires; 0 deletes it.
    package var maxAge: Int
    /// Whether the cookie is sent only over https.
    package var secure: Bool

    /// The `Set-Cookie` header value: `HttpOnly`, `SameSite=Lax`, path `/`, `Secure` when asked.
    package var headerValue: String {
        var parts = ["\(self.name)=\(self.value)", "Path=/", "Max-Age=\(self.maxAge)", "HttpOnly", "SameSite=Lax"]
        if self.secure { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }
}
