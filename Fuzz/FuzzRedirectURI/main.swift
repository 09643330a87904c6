// libFuzzer target: the redirect-URI rules. A URI that matches a registered loopback redirect
// differs from it at most in the port, and carries no credentials.
import FuzzSupport
import OAuthKit

private let registered = ["http://127.0.0.1/callback", "http://localhost:8080/cb?x=1", "https://app.example.com/cb", "cursor://x/cb"]

runFuzzer { data, size in
    let uri = String(decoding: input(data, size), as: UTF8.self)
    _ = try? RedirectURI.validateForRegistration(uri)
    _ = RedirectURI.displayHost(uri)
    if RedirectURI.matches(uri, registered: registered), !registered.contains(uri) {
        precondition(!uri.contains("@"), "credentials matched: \(uri)")
        let stripped = RedirectURI.withoutLoopbackPort(uri)
        precondition(stripped != nil && registered.contains { RedirectURI.withoutLoopbackPort($0) == stripped }, "more than the port varied: \(uri)")
    }
    return 0
}
