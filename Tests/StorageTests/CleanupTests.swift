import Foundation
import GRDB
import MCPCore
import MailDelivery
import OAuthKit
import Testing
import TodoDomain

@testable import Storage

@Suite("Cleanup")
struct CleanupTests {
    @Test(arguments: StoreKind.available)
    func purgesWhatExpiredAndKeepsTheRest(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let store = stores.oauth
            let now = Date(millisecondsSince1970: 1_800_000_000_000)
            let user = try await store.findOrCreateUser(email: "a@example.com", at: now)
            let oldClient = OAuthClient(
                id: "c_old",
                name: "Old",
                redirectURIs: ["https://a.example/cb"],
                createdAt: now.addingTimeInterval(-2 * 86_400)
            )
            let usedClient = OAuthClient(
                id: "c_used",
                name: "Used",
                redirectURIs: ["https://b.example/cb"],
                createdAt: now.addingTimeInterval(-2 * 86_400)
            )
            try await store.save(oldClient, metadataHash: "h1")
            try await store.save(usedClient, metadataHash: "h2")

            try await store.replaceLoginCode(
                LoginCode(id: "l1", email: "a@example.com", flowID: "f", codeHash: "x", expiresAt: now.addingTimeInterval(-1))
            )
            try await store.replaceLoginCode(
                LoginCode(id: "l2", email: "b@example.com", flowID: "f", codeHash: "x", expiresAt: now.addingTimeInterval(60))
            )
            @Sendable func refresh(_ hash: String, expires: TimeInterval, revoked: TimeInterval? = nil) -> RefreshToken {
                RefreshToken(
                    tokenHash: hash,
                    familyID: "f",
                    clientID: "c_used",
                    subject: user,
                    resource: "r",
                    scopes: [],
                    issuedAt: now,
                    expiresAt: now.addingTimeInterval(expires),
                    revokedAt: revoked.map(now.addingTimeInterval)
                )
            }
            let code = AuthorizationCode(
                codeHash: "ac",
                clientID: "c_used",
                subject: user,
                redirectURI: "https://b.example/cb",
                codeChallenge: "c",
                resource: "r",
                scopes: [],
                expiresAt: now.addingTimeInterval(-2 * 86_400)
            )
            try await store.insertCode(code)
            // Redeeming needs the approval; without it afterwards, only the live token keeps the client.
            try await store.recordConsent(subject: user, clientID: "c_used", scopes: [], at: now)
            #expect(try await store.redeemCode(hash: "ac", at: now, refreshToken: refresh("live", expires: 3600)))
            try await stores.execute("DELETE FROM consents")
            let expired = refresh("expired", expires: -1)
            let revoked = refresh("revoked", expires: 3600)
            _ = try await store.exchangeRefreshToken(hash: "none", at: now) { _, _ in .rotate(successor: expired) }
            _ = try await store.exchangeRefreshToken(hash: "none", at: now) { _, _ in .rotate(successor: revoked) }
            try await stores.execute(
                "UPDATE refresh_tokens SET revoked_at = \(now.millisecondsSince1970 - 2 * 86_400_000) WHERE token_hash = 'revoked'"
            )
            try await store.revokeAccessToken(id: "gone", expiresAt: now.addingTimeInterval(-1))
            try await store.revokeAccessToken(id: "kept", expiresAt: now.addingTimeInterval(60))
            let sessions = stores.sessions
            try await sessions.insert(
                MCPSession(id: "idle", subject: user, protocolVersion: .v2025_11_25, createdAt: now, lastUsedAt: now.addingTimeInterval(-90_000))
            )
            try await sessions.insert(MCPSession(id: "fresh", subject: user, protocolVersion: .v2025_11_25, createdAt: now, lastUsedAt: now))

            let report = try await stores.purge(now, 86_400)
            #expect(report == CleanupReport(loginCodes: 1, authorizationCodes: 1, refreshTokens: 2, revokedAccessTokens: 1, sessions: 1, clients: 1))
            #expect(try await store.countLoginCodeAttempt(email: "b@example.com", flowID: "f", at: now, maxAttempts: 5) != nil)
            #expect(try await store.refreshToken(hash: "live") != nil)
            #expect(try await store.client(id: "c_used") != nil, "a client with tokens stays")
            #expect(try await store.client(id: "c_old") == nil)
            #expect(try await sessions.session(id: "fresh") != nil)
            #expect(try await store.revokedAccessTokens(at: now).keys.sorted() == ["kept"])
            #expect(try await stores.purge(now, 86_400).total == 0, "nothing twice")
        }
    }

    @Test("E-mails whose content expired leave the outbox; others stay", arguments: StoreKind.available)
    func purgesExpiredMail(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let outbox = stores.outbox
            let now = Date(millisecondsSince1970: 1_800_000_000_000)
            let message = EmailMessage(from: "l@example.com", to: "a@example.com", subject: "s", body: "b", date: now, messageID: "m@example.com")
            try await outbox.enqueue(OutboxEntry(id: "old", message: message, nextAttemptAt: now, expiresAt: now.addingTimeInterval(-1)))
            try await outbox.enqueue(OutboxEntry(id: "live", message: message, nextAttemptAt: now, expiresAt: now.addingTimeInterval(60)))
            let report = try await stores.purge(now, 3600)
            #expect(report.mailOutbox == 1)
            #expect(try await outbox.claim(dueAt: now, leaseUntil: now.addingTimeInterval(60), limit: 10).map(\.id) == ["live"])
        }
    }

    @Test("Saving a client again renews its creation time, so cleanup keeps a metadata-document client in use", arguments: StoreKind.available)
    func savingAgainRenewsTheClient(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let store = stores.oauth
            let now = Date(millisecondsSince1970: 1_800_000_000_000)
            let id = "https://app.example.com/client.json"
            try await store.save(
                OAuthClient(id: id, name: "App", redirectURIs: ["https://a.example/cb"], createdAt: now.addingTimeInterval(-2 * 86_400)),
                metadataHash: "document:" + id
            )
            try await store.save(
                OAuthClient(id: id, name: "App 2", redirectURIs: ["https://a.example/cb"], createdAt: now),
                metadataHash: "document:" + id
            )
            _ = try await stores.purge(now, 3600)
            #expect(try await store.client(id: id)?.name == "App 2")
        }
    }

    @Test("Parallel tries of a login code are counted atomically, per flow", arguments: StoreKind.available)
    func loginCodeTriesAreAtomic(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let store = stores.oauth
            let now = Date(millisecondsSince1970: 1_800_000_000_000)
            for flow in ["f1", "f2"] {
                try await store.replaceLoginCode(
                    LoginCode(id: "l-" + flow, email: "a@example.com", flowID: flow, codeHash: "x", expiresAt: now.addingTimeInterval(600))
                )
            }
            let counted = try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await store.countLoginCodeAttempt(email: "a@example.com", flowID: "f1", at: now, maxAttempts: 5)?.attempts }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(counted.compactMap { $0 }.sorted() == [1, 2, 3, 4, 5])
            #expect(
                try await store.countLoginCodeAttempt(email: "a@example.com", flowID: "f2", at: now, maxAttempts: 5)?.attempts == 1,
                "another flow's code is untouched"
            )
            #expect(try await store.countLoginCodeAttempt(email: "a@example.com", flowID: "f3", at: now, maxAttempts: 5) == nil)
            #expect(try await store.deleteLoginCode(id: "l-f2"))
            #expect(try await !store.deleteLoginCode(id: "l-f2"), "a code is consumed once")
        }
    }
}
