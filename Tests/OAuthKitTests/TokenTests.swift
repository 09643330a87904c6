import EndpointCore
import Crypto
import Foundation
import Testing

@testable import OAuthKit

@Suite("Access tokens, PKCE and codes")
struct TokenTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let oldKey = SigningKey(id: "k1", secret: Array(repeating: 1, count: 32), createdAt: Date(timeIntervalSince1970: 0))
    let newKey = SigningKey(id: "k2", secret: Array(repeating: 2, count: 32), createdAt: Date(timeIntervalSince1970: 1))

    func claims(audience: String = "https://todo.example.com/", expiresIn: Int64 = 3600) -> AccessTokenClaims {
        AccessTokenClaims(
            id: "j1",
            subject: "u_1",
            audience: audience,
            scopes: ["todos:read"],
            expiresAt: Int64(self.now.timeIntervalSince1970) + expiresIn,
            grantID: "f_1"
        )
    }

    @Test func signedTokensVerify() {
        let authority = AccessTokenAuthority(keys: [self.oldKey])
        let token = authority.sign(self.claims())
        #expect(token.hasPrefix("at1.k1."))
        #expect(authority.verify(token, audience: "https://todo.example.com/", now: self.now) == self.claims())
        #expect(authority.verify(token, audience: "https://todo.example.com", now: self.now) != nil, "the host-only slash is not significant")
    }

    @Test func expiredTokensFail() {
        let authority = AccessTokenAuthority(keys: [self.oldKey])
        let token = authority.sign(self.claims(expiresIn: 60))
        #expect(authority.verify(token, audience: "https://todo.example.com/", now: self.now.addingTimeInterval(59)) != nil)
        #expect(authority.verify(token, audience: "https://todo.example.com/", now: self.now.addingTimeInterval(60)) == nil)
    }

    @Test func tokensForAnotherAudienceFail() {
        let authority = AccessTokenAuthority(keys: [self.oldKey])
        let token = authority.sign(self.claims(audience: "https://other.example.com/"))
        #expect(authority.verify(token, audience: "https://todo.example.com/", now: self.now) == nil)
    }

    @Test func tamperedTokensFail() {
        let authority = AccessTokenAuthority(keys: [self.oldKey])
        let token = authority.sign(self.claims())
        var parts = token.split(separator: ".").map(String.init)
        let forged = Base64URL.encode(
            Array(#"{"jti":"j1","sub":"u_2","aud":"https://todo.example.com/","scp":["todos:read","todos:write"],"exp":9999999999}"#.utf8)
        )
        parts[2] = forged
        #expect(authority.verify(parts.joined(separator: "."), audience: "https://todo.example.com/", now: self.now) == nil)
        let otherKey = AccessTokenAuthority(keys: [SigningKey(id: "k1", secret: Array(repeating: 9, count: 32), createdAt: self.now)])
        #expect(otherKey.verify(token, audience: "https://todo.example.com/", now: self.now) == nil)
        for garbage in ["", "at1", "at1.k1.x.y", "Bearer x", String(token.dropLast()), "at2" + token.dropFirst(3), token + ".x", "." + token] {
            #expect(authority.verify(garbage, audience: "https://todo.example.com/", now: self.now) == nil)
        }
        // The MAC itself: a changed byte anywhere, a short one, a long one, none.
        let mac = Base64URL.decode(token.split(separator: ".")[3].utf8)!
        #expect(mac.count == 32)
        let original = token.split(separator: ".")[0...2].joined(separator: ".")
        for index in [0, 15, 31] {
            var changed = mac
            changed[index] ^= 0x01
            #expect(authority.verify(original + "." + Base64URL.encode(changed), audience: "https://todo.example.com/", now: self.now) == nil)
        }
        for wrongLength in [Array(mac.prefix(31)), mac + [0], [], Array(mac.prefix(16))] {
            #expect(authority.verify(original + "." + Base64URL.encode(wrongLength), audience: "https://todo.example.com/", now: self.now) == nil)
        }
        #expect(authority.verify(original + "." + Base64URL.encode(mac), audience: "https://todo.example.com/", now: self.now) != nil)
    }

    @Test func keysRotateWithoutLoggingAnyoneOut() {
        let before = AccessTokenAuthority(keys: [self.oldKey])
        let token = before.sign(self.claims())
        let after = AccessTokenAuthority(keys: [self.oldKey, self.newKey])
        #expect(after.verify(token, audience: "https://todo.example.com/", now: self.now) != nil, "old tokens still verify")
        #expect(after.sign(self.claims()).hasPrefix("at1.k2."), "the newest key signs")
        let retired = AccessTokenAuthority(keys: [self.newKey])
        #expect(retired.verify(token, audience: "https://todo.example.com/", now: self.now) == nil)
    }

    @Test func revokedTokensFail() {
        let authority = AccessTokenAuthority(keys: [self.oldKey])
        let token = authority.sign(self.claims())
        authority.revoke(id: "j1", until: self.now.addingTimeInterval(3600), now: self.now)
        #expect(authority.verify(token, audience: "https://todo.example.com/", now: self.now) == nil)
    }

    @Test func sealedValuesResistTampering() {
        let authority = AccessTokenAuthority(keys: [self.oldKey])
        let sealed = authority.seal("hello")
        #expect(authority.unseal(sealed) == "hello")
        #expect(authority.unseal(sealed.replacingOccurrences(of: "aGVsbG8", with: "aGVsbG9")) == nil)
        #expect(authority.unseal("k1.aGVsbG8.AAAA") == nil)
    }

    @Test func pkceS256() {
        // RFC 7636 appendix B.
        #expect(PKCE.verify(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
        #expect(!PKCE.verify(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
        #expect(!PKCE.verify(verifier: "short", challenge: "short"))
        #expect(!PKCE.isWellFormed(String(repeating: "a", count: 42)))
        #expect(PKCE.isWellFormed(String(repeating: "a", count: 128)))
        #expect(!PKCE.isWellFormed(String(repeating: "a", count: 129)))
        #expect(!PKCE.isWellFormed(String(repeating: "a", count: 42) + "+"))
    }

    @Test func loginCodesAvoidLookAlikes() {
        let codes = (0..<500).map { _ in LoginCodes.make(randomBytes: OAuthEnvironment.systemRandomBytes(5)) }
        #expect(codes.allSatisfy { $0.count == 5 })
        #expect(codes.allSatisfy { !$0.contains(where: { "0O1IL".contains($0) }) })
        #expect(Set(codes.joined()).isSubset(of: Set(LoginCodes.alphabet)))
        #expect(LoginCodes.normalize(" ab-c de ") == "ABCDE")
    }

    @Test(
        arguments: [
            ("Ada@Example.COM", "ada@example.com"), (" bob@mail.example.org ", "bob@mail.example.org"),
            ("no-at-sign", nil), ("a@b", nil), ("@example.com", nil), ("a b@example.com", nil), ("a@example.com>", nil), ("a@@example.com", nil),
            ("\u{430}da@example.com", nil), ("ada\u{200B}@example.com", nil), ("ad\u{E4}@example.com", nil), ("ada@ex\u{0430}mple.com", nil),
        ] as [(String, String?)]
    )
    func emailAddresses(_ raw: String, _ expected: String?) {
        #expect(EmailAddress.normalize(raw) == expected)
    }

    @Test func formsDecode() {
        #expect(FormData.parse("a=1&b=x+y&c=%2Fz&d&a=2") == ["a": "1", "b": "x y", "c": "/z", "d": ""])
        #expect(FormData.duplicates(in: "a=1&b=2&a=3") == ["a"])
    }

    @Test func rateLimitsUseEveryWindow() {
        let limiter = RateLimiter()
        let windows = [RateLimiter.Window(seconds: 60, limit: 2), RateLimiter.Window(seconds: 3600, limit: 3)]
        let start = Date(timeIntervalSince1970: 1_800_000_000)  // a whole hour
        #expect(limiter.hit("test", key: "k", windows: windows, now: start) == nil)
        #expect(limiter.hit("test", key: "k", windows: windows, now: start) == nil)
        #expect(limiter.hit("test", key: "k", windows: windows, now: start.addingTimeInterval(10)) == 50, "the minute is full")
        #expect(limiter.hit("test", key: "other", windows: windows, now: start) == nil, "keys are separate")
        #expect(limiter.hit("test", key: "k", windows: windows, now: start.addingTimeInterval(61)) == nil)
        #expect(limiter.hit("test", key: "k", windows: windows, now: start.addingTimeInterval(130)) == 3_470, "the hour is full")
    }
}

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test("Memory stays fixed whatever keys are invented")
    func boundedMemory() {
        let limiter = RateLimiter(width: 1 << 10)
        let windows = RateLimits.layers(3, 10, 20, 50)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        _ = limiter.hit("test", key: "first", windows: windows, now: start)
        let size = limiter.storageBytes
        #expect(size == 4 * 4 * (1 << 10) * 4, "four windows of one limit")
        for index in 0..<200_000 { _ = limiter.hit("test", key: "key-\(index)", windows: windows, now: start) }
        #expect(limiter.storageBytes == size)
    }

    @Test("A flood of other keys never lets a limited key through")
    func neverUndercounts() {
        let limiter = RateLimiter(width: 1 << 8)  // small, so keys collide often
        let windows = [RateLimiter.Window(seconds: 60, limit: 3)]
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var allowed: [String: Int] = [:]
        for index in 0..<20_000 {
            let key = "k\(index % 500)"
            if limiter.hit("test", key: key, windows: windows, now: start) == nil { allowed[key, default: 0] += 1 }
        }
        #expect(allowed.values.allSatisfy { $0 <= 3 })
        #expect(limiter.hit("test", key: "k1", windows: windows, now: start.addingTimeInterval(60)) == nil, "a new window starts from zero")
    }

    @Test("Each limit counts in tables of its own: a flood on one never fills another's counters")
    func limitsDoNotShareCounters() {
        let limiter = RateLimiter(width: 1 << 4)  // 16 counters a row: any flood fills a shared table
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<10_000 { _ = limiter.hit("token", key: "flood-\(index)", windows: [.init(seconds: 60, limit: 5_000)], now: start) }
        #expect(limiter.hit("email", key: "ada@example.com", windows: [.init(seconds: 60, limit: 3)], now: start) == nil)
    }

    @Test("The /64s of one IPv6 site share a limit ten times a single client's")
    func siteLayer() {
        let limiter = RateLimiter()
        let windows = [RateLimiter.Window(seconds: 60, limit: 2)]
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var allowed = 0
        for subnet in 0..<30 {
            let address = "2001:db8:1:\(String(subnet, radix: 16))::7"
            for _ in 0..<2 where limiter.hit(RateLimits.perClient("code", clientAddress: address, windows), now: now) == nil { allowed += 1 }
        }
        #expect(allowed == 20, "2 per /64, 20 per /48")
        #expect(limiter.hit(RateLimits.perClient("code", clientAddress: "2001:db8:2:1::7", windows), now: now) == nil, "another site")
        #expect(RateLimits.perClient("code", clientAddress: "192.0.2.1", windows).count == 1, "IPv4 has no site layer")
        let hosts = ["2001:db8:3:1::1", "2001:db8:3:1::2", "2001:db8:3:1:ffff::3"]
        let verdicts = hosts.map { limiter.hit(RateLimits.perClient("code", clientAddress: $0, windows), now: now) == nil }
        #expect(verdicts == [true, true, false], "the addresses of one /64 are one client")
    }

    @Test("IPv6 clients are counted by their /64 network and their /48 site")
    func networks() {
        #expect(ClientNetwork.key(of: "2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64")
        #expect(ClientNetwork.key(of: "2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64")
        #expect(ClientNetwork.key(of: "2001:db8:1:3::1") == "2001:db8:1:3::/64")
        #expect(ClientNetwork.key(of: "::ffff:192.0.2.1") == "192.0.2.1")
        #expect(ClientNetwork.key(of: "192.0.2.1") == "192.0.2.1")
        #expect(ClientNetwork.key(of: "unknown") == "unknown")
        #expect(ClientNetwork.site(of: "2001:db8:1:2::9") == "2001:db8:1::/48")
        #expect(ClientNetwork.site(of: "2001:db8:1:ff00::1") == "2001:db8:1::/48")
        #expect(ClientNetwork.site(of: "::ffff:192.0.2.1") == "192.0.2.1")
        #expect(ClientNetwork.site(of: "192.0.2.1") == "192.0.2.1")
    }

    @Test("Several limits are checked together: a full one counts none of the others")
    func allOrNothing() {
        let limiter = RateLimiter()
        let tight = [RateLimiter.Window(seconds: 60, limit: 1)]
        let loose = [RateLimiter.Window(seconds: 60, limit: 2)]
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(limiter.hit([.init("tight", key: "a", tight), .init("loose", key: "shared", loose)], now: now) == nil)
        for _ in 0..<5 { #expect(limiter.hit([.init("tight", key: "a", tight), .init("loose", key: "shared", loose)], now: now) != nil) }
        #expect(
            limiter.hit([.init("tight", key: "b", tight), .init("loose", key: "shared", loose)], now: now) == nil,
            "refused hits did not count on shared"
        )
        #expect(limiter.hit([.init("tight", key: "c", tight), .init("loose", key: "shared", loose)], now: now) != nil)
    }
}

@Suite("Base64url")
struct Base64URLTests {
    @Test func roundTripsAgainstFoundation() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + length) % 256) }
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected)
            #expect(Base64URL.decode(expected.utf8) == bytes)
            #expect(Base64URL.decode(Array(("." + expected).utf8).dropFirst()) == bytes, "a slice")
            #expect(Base64URL.decode(expected.utf8.lazy.map { $0 }) == bytes, "bytes that are not contiguous")
        }
    }

    @Test(arguments: ["a", "ab=c", "a+bc", "a/bc", "ab!c", "AB"])
    func refusesWhatIsNotCanonicalBase64URL(_ text: String) {
        #expect(Base64URL.decode(text.utf8) == nil)
    }
}
