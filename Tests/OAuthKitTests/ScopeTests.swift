import OAuthKit
import Testing

@Suite("Scopes")
struct ScopeTests {
    @Test(arguments: [
        ("todos:read", ["todos:read"]),
        ("todos:write todos:read", ["todos:read", "todos:write"]),
        ("openid todos:write  unknown", ["todos:write"]),
        ("todos:read todos:read", ["todos:read"]),
        ("", []),
        ("TODOS:READ", []),
    ])
    func parseKeepsKnownScopesInOrder(_ text: String, _ expected: [String]) {
        #expect(Scope.parse(text, known: ["todos:read", "todos:write"]).map(\.rawValue) == expected)
    }
}
