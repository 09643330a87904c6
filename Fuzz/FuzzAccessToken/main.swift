import Foundation
// libFuzzer target: the access-token and sealed-cookie parsers, and base64url. No input forges a
// token or a seal; base64url decodes only canonical text, which encodes back to itself.
import EndpointCore
import FuzzSupport
import OAuthKit

private let authority = AccessTokenAuthority(keys: [SigningKey(id: "k1", secret: Array(repeating: 7, count: 32), createdAt: Date())])
private let genuine = authority.sign(
    AccessTokenClaims(id: "t", subject: "u", audience: "https://todo.example.com/", scopes: ["todos:read"], expiresAt: 4_000_000_000, grantID: "g")
)

runFuzzer { data, size in
    let bytes = input(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    if text != genuine {
        precondition(authority.claimsIgnoringExpiry(text) == nil, "a token was forged")
        precondition(authority.verify(text, audience: "https://todo.example.com/", now: Date(timeIntervalSince1970: 0)) == nil, "a token was forged")
    }
    precondition(authority.unseal(text) == nil || text.hasPrefix("k1."), "a seal was forged")
    if let decoded = Base64URL.decode(bytes) {
        precondition(Array(Base64URL.encode(decoded).utf8) == Array(bytes), "base64url is not canonical")
    }
    return 0
}
