import EndpointCore
import Foundation

/// The rules for redirect URIs: which ones a client may register, and when a requested one matches.
package enum RedirectURI {
    /// Schemes that can run code or read local files: never a redirect target.
    static let forbiddenSchemes: Set<String> = ["javascript", "data", "file", "vbscript", "about", "blob", "filesystem", "view-source"]

    /// Checks a redirect URI a client registers: `https`; `http` only on a loopback host; or a
    /// private-use scheme such as `cursor://` (RFC 8252 §7.1). Never a fragment.
    ///
    /// - Throws: ``OAuthError`` `invalid_redirect_uri` saying what is wrong.
    package static func validateForRegistration(_ uri: String) throws(OAuthError) {
        func refuse(_ reason: String) -> OAuthError {
            OAuthError(.invalidRedirectURI, "The redirect URI '\(uri.prefix(200))' \(reason)")
        }
        guard uri.utf8.count <= 2_000 else { throw refuse("is longer than 2000 characters.") }
        guard !uri.contains("#") else { throw refuse("must not contain a fragment (#).") }
        guard !uri.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw refuse("must not contain spaces or control characters.")
        }
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(), !scheme.isEmpty else {
            throw refuse("is not an absolute URI.")
        }
        guard !forbiddenSchemes.contains(scheme) else { throw refuse("uses the forbidden scheme \(scheme):.") }
        switch scheme {
        case "https":
            guard let host = components.host, !host.isEmpty else { throw refuse("has no host.") }
            guard components.user == nil, components.password == nil else { throw refuse("must not contain credentials.") }
        case "http":
            guard let host = components.host, Loopback.isLoopback(host) else {
                throw refuse("uses http, which is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https.")
            }
            guard components.user == nil, components.password == nil, Self.withoutLoopbackPort(uri) != nil else {
                throw refuse("must be http://, a loopback host, an optional port and a path, without credentials.")
            }
        default:
            // A private-use scheme of a native app: it must look like a scheme and lead somewhere.
            guard scheme.first!.isLetter, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else {
                throw refuse("has an invalid scheme.")
            }
            guard uri.utf8.count > scheme.utf8.count + 1 else { throw refuse("has nothing after the scheme.") }
        }
    }

    /// Whether `requested` matches one of `registered`: exactly, or for an `http` loopback
    /// redirect, on any port (RFC 8252 §7.3). Only the port may differ: `localhost` and
    /// `127.0.0.1` stay distinct hosts, and credentials (`http://evil@127.0.0.1/`) never match.
    /// Compared byte for byte, since `String` equality matches canonically equivalent text.
    package static func matches(_ requested: String, registered: [String]) -> Bool {
        if registered.contains(where: { $0.utf8.elementsEqual(requested.utf8) }) { return true }
        guard let request = self.withoutLoopbackPort(requested) else { return false }
        return registered.contains { self.withoutLoopbackPort($0)?.utf8.elementsEqual(request.utf8) == true }
    }

    /// `uri` with the port taken out of its authority, when it is `http://` followed by a loopback
    /// host, an optional port and nothing else before the path; `nil` otherwise (credentials,
    /// another host, a malformed port). Compared as text, so nothing a URL parser normalizes can
    /// slip through.
    package static func withoutLoopbackPort(_ uri: String) -> String? {
        guard uri.utf8.count > 7, uri.prefix(7).lowercased() == "http://" else { return nil }
        let rest = uri.dropFirst(7)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let host: Substring
        let port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return nil }
            port = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        } else {
            host = authority
            port = nil
        }
        if let port { guard (1...5).contains(port.count), port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) else { return nil } }
        guard Loopback.isLoopback(String(host)) else { return nil }
        return "http://" + host + rest[authorityEnd...]
    }

    /// The host a person should see on the consent page: the host, or the scheme for an app's own scheme.
    package static func displayHost(_ uri: String) -> String {
        guard let components = URLComponents(string: uri) else { return uri }
        if let host = components.host, !host.isEmpty {
            return components.port.map { "\(host):\($0)" } ?? host
        }
        return (components.scheme ?? uri) + ":"
    }
}
