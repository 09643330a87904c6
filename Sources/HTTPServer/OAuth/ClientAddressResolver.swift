import EndpointCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdEndpoints
import MCPCore
import OAuthKit

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

/// Turns access tokens into MCP principals.
struct OAuthBearerAuthenticator: BearerAuthenticator {
    let server: AuthorizationServer

    func authenticate(token: String) async -> Principal? {
        self.server.verifyAccessToken(token).map { Principal(subject: $0.subject, scopes: Set($0.scopes)) }
    }
}
