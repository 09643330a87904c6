import Foundation
import GRDB
import MailDelivery
import OAuthKit
import Testing
import TodoDomain

@testable import Storage

/// The account page's store operations, with the same expectations of the SQLite store and the
/// in-memory one.
@Suite("Account stores")
struct AccountStoreTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres, memory
        var testDescription: String { self.rawValue }

        static let available = allCases.filter { $0 != .postgres || StoreKind.available.contains(.postgres) }
    }

    /// Runs `body` with an empty store of `kind`.
    static func withStore(_ kind: Kind, _ body: (any OAuthStore) async throws -> Void) async throws {
        switch kind {
        case .sqlite: try await body(SQLiteOAuthStore(try AppDatabase.inMemory()))
        case .memory: try await body(InMemoryOAuthStore())
        case .postgres: try await withStores(.postgres) { try await body($0.oauth) }
        }
    }

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func token(_ hash: String, family: String, client: String, subject: String, issued: Date, expires: TimeInterval = 86_400) -> RefreshToken {
        RefreshToken(
            tokenHash: hash,
            familyID: family,
            clientID: client,
            subject: subject,
            resource: "https://todo.example.com/",
            scopes: ["todos:read"],
            issuedAt: issued,
            expiresAt: issued.addingTimeInterval(expires)
        )
    }

    static func code(_ hash: String, client: String, subject: String) -> AuthorizationCode {
        AuthorizationCode(
            codeHash: hash,
            clientID: client,
            subject: subject,
            redirectURI: "http://127.0.0.1/cb",
            codeChallenge: "c",
            resource: "https://todo.example.com/",
            scopes: ["todos:read"],
            expiresAt: t0.addingTimeInterval(600)
        )
    }

    /// Two clients, Ada approving both and Bob one; each holds one refresh token per client.
    static func populate(_ store: any OAuthStore) async throws -> (ada: String, bob: String) {
        for id in ["c_one", "c_two"] {
            try await store.save(OAuthClient(id: id, name: id, redirectURIs: ["http://127.0.0.1/cb"], createdAt: t0), metadataHash: id)
        }
        let ada = try await store.findOrCreateUser(email: "ada@example.com", at: t0)
        let bob = try await store.findOrCreateUser(email: "bob@example.com", at: t0)
        try await store.recordConsent(subject: ada, clientID: "c_one", scopes: ["todos:read"], at: t0)
        try await store.recordConsent(subject: ada, clientID: "c_two", scopes: ["todos:read"], at: t0.addingTimeInterval(10))
        try await store.recordConsent(subject: bob, clientID: "c_one", scopes: ["todos:read"], at: t0)
        for (subject, client) in [(ada, "c_one"), (ada, "c_two"), (bob, "c_one")] {
            try await store.insertCode(self.code("code-\(subject)-\(client)", client: client, subject: subject))
            #expect(
                try await store.redeemCode(
                    hash: "code-\(subject)-\(client)",
                    at: t0,
                    refreshToken: self.token(
                        "rt-\(subject)-\(client)",
                        family: "f-\(subject)-\(client)",
                        client: client,
                        subject: subject,
                        issued: t0
                    )
                )
            )
        }
        return (ada, bob)
    }

    @Test("An account has its address, creation time and a session generation that Sign out everywhere raises", arguments: Kind.available)
    func accounts(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let ada = try await store.findOrCreateUser(email: "ada@example.com", at: Self.t0)
            #expect(
                try await store.account(subject: ada) == Account(subject: ada, email: "ada@example.com", createdAt: Self.t0, sessionGeneration: 0)
            )
            try await store.endSessions(subject: ada)
            try await store.endSessions(subject: ada)
            #expect(try await store.account(subject: ada)?.sessionGeneration == 2)
            #expect(try await store.account(subject: "u_nobody") == nil)
        }
    }

    @Test("Connections list what a person approved, when first, when last used, and whether it is still signed in", arguments: Kind.available)
    func connections(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let (ada, bob) = try await Self.populate(store)
            // More scopes later keep the first approval's time.
            try await store.recordConsent(subject: ada, clientID: "c_one", scopes: ["todos:write"], at: Self.t0.addingTimeInterval(50))
            let later = Self.t0.addingTimeInterval(100)
            _ = try await store.exchangeRefreshToken(hash: "rt-\(ada)-c_one", at: later) { _, _ in
                .rotate(successor: Self.token("rt2", family: "f-\(ada)-c_one", client: "c_one", subject: ada, issued: later))
            }
            let apps = try await store.connections(subject: ada, at: later)
            #expect(apps.map(\.clientID) == ["c_one", "c_two"])
            #expect(
                apps[0]
                    == AppConnection(
                        clientID: "c_one",
                        scopes: ["todos:read", "todos:write"],
                        firstAuthorizedAt: Self.t0,
                        lastUsedAt: later,
                        isSignedIn: true
                    )
            )
            #expect(apps[1].firstAuthorizedAt == Self.t0.addingTimeInterval(10) && apps[1].lastUsedAt == Self.t0)
            #expect(try await store.connections(subject: bob, at: later).map(\.clientID) == ["c_one"])
            // Expired tokens do not count as signed in.
            #expect(try await store.connections(subject: bob, at: Self.t0.addingTimeInterval(90_000)).first?.isSignedIn == false)
        }
    }

    @Test("Revoking one client's grants touches only that person and client; forgetting consent removes the connection", arguments: Kind.available)
    func revokeOneClient(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let (ada, bob) = try await Self.populate(store)
            try await store.insertCode(Self.code("pending", client: "c_one", subject: ada))
            let families = try await store.revokeGrants(subject: ada, clientID: "c_one", forgetConsent: true, at: Self.t0)
            #expect(families == ["f-\(ada)-c_one"])
            #expect(try await store.refreshToken(hash: "rt-\(ada)-c_one")?.revokedAt == Self.t0)
            #expect(try await store.refreshToken(hash: "rt-\(ada)-c_two")?.revokedAt == nil)
            #expect(try await store.refreshToken(hash: "rt-\(bob)-c_one")?.revokedAt == nil)
            let pending = Self.token("x", family: "new", client: "c_one", subject: ada, issued: Self.t0)
            #expect(try await store.redeemCode(hash: "pending", at: Self.t0, refreshToken: pending) == false, "an unused code is used up")
            #expect(try await store.connections(subject: ada, at: Self.t0).map(\.clientID) == ["c_two"])
            #expect(try await store.hasConsent(subject: bob, clientID: "c_one", scopes: ["todos:read"]))
        }
    }

    @Test("Revoking every client keeps the approvals when asked, and lists every family", arguments: Kind.available)
    func revokeAll(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let (ada, bob) = try await Self.populate(store)
            let families = try await store.revokeGrants(subject: ada, clientID: nil, forgetConsent: false, at: Self.t0)
            #expect(families == ["f-\(ada)-c_one", "f-\(ada)-c_two"])
            let apps = try await store.connections(subject: ada, at: Self.t0)
            #expect(apps.count == 2 && apps.allSatisfy { !$0.isSignedIn })
            #expect(try await store.refreshToken(hash: "rt-\(bob)-c_one")?.revokedAt == nil)
            #expect(try await store.revokeGrants(subject: ada, clientID: nil, forgetConsent: true, at: Self.t0).count == 2)
            #expect(try await store.connections(subject: ada, at: Self.t0).isEmpty)
        }
    }

    @Test("A code is redeemed only while its client is approved and under the generation it was issued with", arguments: Kind.available)
    func redeemNeedsApprovalAndGeneration(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let (ada, bob) = try await Self.populate(store)
            func attempt(_ hash: String, subject: String, client: String, generation: Int) async throws -> Bool {
                var code = Self.code(hash, client: client, subject: subject)
                code.sessionGeneration = generation
                try await store.insertCode(code)
                return try await store.redeemCode(
                    hash: hash,
                    at: Self.t0,
                    refreshToken: Self.token("rt-" + hash, family: "f-" + hash, client: client, subject: subject, issued: Self.t0)
                )
            }
            #expect(try await attempt("fine", subject: ada, client: "c_one", generation: 0))
            #expect(try await attempt("no-consent", subject: bob, client: "c_two", generation: 0) == false)
            try await store.endSessions(subject: ada)
            #expect(try await attempt("old-generation", subject: ada, client: "c_one", generation: 0) == false)
            #expect(try await attempt("new-generation", subject: ada, client: "c_one", generation: 1))
            #expect(try await store.code(hash: "new-generation")?.sessionGeneration == 1)
            #expect(try await store.refreshToken(hash: "rt-old-generation") == nil)
        }
    }

    @Test("Deleting an account removes its address, grants, consents and login codes, and nobody else's", arguments: Kind.available)
    func deleteAccount(kind: Kind) async throws {
        try await Self.withStore(kind) { store in
            let (ada, bob) = try await Self.populate(store)
            for (email, id) in [("ada@example.com", "lc-ada"), ("bob@example.com", "lc-bob")] {
                try await store.replaceLoginCode(
                    LoginCode(id: id, email: email, flowID: "flow", codeHash: "h", expiresAt: Self.t0.addingTimeInterval(600))
                )
            }
            try await store.deleteAccount(subject: ada)
            #expect(try await store.account(subject: ada) == nil)
            #expect(try await store.refreshToken(hash: "rt-\(ada)-c_one") == nil)
            #expect(try await store.code(hash: "code-\(ada)-c_one") == nil)
            #expect(try await store.connections(subject: ada, at: Self.t0).isEmpty)
            #expect(try await store.countLoginCodeAttempt(email: "ada@example.com", flowID: "flow", at: Self.t0, maxAttempts: 5) == nil)
            #expect(try await store.countLoginCodeAttempt(email: "bob@example.com", flowID: "flow", at: Self.t0, maxAttempts: 5) != nil)
            #expect(try await store.account(subject: bob)?.email == "bob@example.com")
            #expect(try await store.refreshToken(hash: "rt-\(bob)-c_one") != nil)
            // The address signs up anew as another account.
            let again = try await store.findOrCreateUser(email: "ada@example.com", at: Self.t0)
            #expect(again != ada)
        }
    }
}

@Suite("Account data in both databases")
struct AccountDataStorageTests {
    @Test("Todos newest first, keyset-paged, each owner's own; deleting all of one owner's leaves the others'", arguments: StoreKind.available)
    func recentAndDeleteAll(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let todos = stores.todos
            let ada = try await stores.user("ada@example.com")
            let bob = try await stores.user("bob@example.com")
            let base = Date(timeIntervalSince1970: 1_800_000_000)
            var made: [Todo] = []
            for index in 0..<7 {
                // Two todos share each millisecond, so the id must break ties.
                let created = base.addingTimeInterval(Double(index / 2))
                let todo = Todo(id: TodoID.random(), owner: ada, title: "todo \(index)", createdAt: created, updatedAt: created)
                try await todos.insert(todo)
                made.append(todo)
            }
            try await todos.insert(Todo(id: TodoID.random(), owner: bob, title: "bob's", createdAt: base, updatedAt: base))
            let expected = made.sorted { TodoRecencyKey($0) < TodoRecencyKey($1) }.map(\.id)
            var seen: [TodoID] = []
            var after: TodoRecencyKey?
            while true {
                let page = try await todos.recent(owner: ada, after: after, limit: 3)
                seen += page.map(\.id)
                guard page.count == 3, let last = page.last else { break }
                after = TodoRecencyKey(last)
            }
            #expect(seen == expected)
            #expect(try await InMemoryTodoRepository().recent(owner: ada, after: nil, limit: 3).isEmpty)
            #expect(try await todos.deleteAll(owner: ada) == 7)
            #expect(try await todos.recent(owner: ada, after: nil, limit: 10).isEmpty)
            #expect(try await todos.recent(owner: bob, after: nil, limit: 10).map(\.title) == ["bob's"])
        }
    }

    @Test("Deleting an account's pending mail removes only messages to that address", arguments: StoreKind.available)
    func outboxRemoveAll(kind: StoreKind) async throws {
        try await withStores(kind) { stores in
            let outbox = stores.outbox
            let date = Date(timeIntervalSince1970: 1_800_000_000)
            for (id, to) in [("1", "ada@example.com"), ("2", "bob@example.com"), ("3", "ada@example.com")] {
                let message = EmailMessage(from: "todo@example.com", to: to, subject: "s", body: "b", date: date, messageID: id + "@example.com")
                try await outbox.enqueue(OutboxEntry(id: id, message: message, nextAttemptAt: date, expiresAt: date.addingTimeInterval(600)))
            }
            try await outbox.removeAll(to: "ada@example.com")
            let left = try await outbox.claim(dueAt: date, leaseUntil: date.addingTimeInterval(60), limit: 10)
            #expect(left.map(\.message.to) == ["bob@example.com"])
        }
    }
}
