import Foundation
import GRDB
import OAuthKit
import Testing
import TodoDomain

@testable import Storage

/// The admin commands' work on real database files.
@Suite("Administration")
struct AdministrationTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("Users are listed with their todos and connected apps; revoking disconnects and refuses access tokens")
    func usersAndRevoke() async throws {
        let database = try AppDatabase.inMemory()
        let store = SQLiteOAuthStore(database)
        let administration = Administration(database)
        let ada = try await store.findOrCreateUser(email: "ada@example.com", at: Self.t0)
        _ = try await store.findOrCreateUser(email: "bob@example.com", at: Self.t0.addingTimeInterval(1))
        try await store.save(OAuthClient(id: "c_1", name: "Claude", redirectURIs: ["http://127.0.0.1/cb"], createdAt: Self.t0), metadataHash: "h")
        try await store.recordConsent(subject: ada, clientID: "c_1", scopes: ["todos:read"], at: Self.t0)
        try await store.insertCode(
            AuthorizationCode(
                codeHash: "code", clientID: "c_1", subject: ada, redirectURI: "http://127.0.0.1/cb", codeChallenge: "c",
                resource: "r", scopes: ["todos:read"], expiresAt: Self.t0.addingTimeInterval(600)
            )
        )
        let token = RefreshToken(
            tokenHash: "rt", familyID: "family", clientID: "c_1", subject: ada, resource: "r", scopes: ["todos:read"],
            issuedAt: Self.t0, expiresAt: Self.t0.addingTimeInterval(86_400)
        )
        #expect(try await store.redeemCode(hash: "code", at: Self.t0, refreshToken: token))
        let todos = SQLiteTodoRepository(database)
        for title in ["a", "b"] {
            try await todos.insert(Todo(id: .random(), owner: UserID(ada), title: title, createdAt: Self.t0, updatedAt: Self.t0))
        }

        let users = try await administration.users()
        #expect(users.map(\.email) == ["ada@example.com", "bob@example.com"])
        #expect(users[0].todos == 2 && users[0].connectedApps == 1 && users[1].todos == 0)
        #expect(try await administration.subject(email: "ADA@example.com") == ada)
        #expect(try await administration.grants(subject: ada, at: Self.t0).map(\.clientName) == ["Claude"])

        let revoked = try await administration.revoke(subject: ada, clientID: "c_1", at: Self.t0)
        #expect(revoked == ["family"])
        #expect(try await store.revokedGrants(at: Self.t0.addingTimeInterval(86_400))["family"] != nil, "refused as long as any access token could live")
        #expect(try await store.refreshToken(hash: "rt")?.revokedAt == Self.t0)
        #expect(try await store.revokedGrants(at: Self.t0)["family"] != nil, "a running server reads this and refuses the access tokens")
        #expect(try await administration.grants(subject: ada, at: Self.t0).isEmpty)
    }

    @Test("A new signing key joins the ring and signs; the older keys stay until retired; the signing key cannot be retired")
    func rotate() async throws {
        let database = try AppDatabase.inMemory()
        let store = SQLiteOAuthStore(database)
        let administration = Administration(database)
        let first = try await store.signingKeys { SigningKey(id: "old", secret: Array(repeating: 1, count: 32), createdAt: Self.t0) }
        try await administration.rotateSigningKey(id: "new", secret: Array(repeating: 2, count: 32), at: Self.t0.addingTimeInterval(60))
        let ring = try await store.signingKeys { SigningKey(id: "unused", secret: [], createdAt: Self.t0) }
        #expect(first.map(\.id) == ["old"] && ring.map(\.id) == ["old", "new"])
        await #expect(throws: AdministrationError.self) { try await administration.retireSigningKey(id: "new") }
        await #expect(throws: AdministrationError.self) { try await administration.retireSigningKey(id: "missing") }
        try await administration.retireSigningKey(id: "old")
        #expect(try await administration.signingKeys().map(\.id) == ["new"])
    }

    @Test("Admin commands open only an existing database that this version migrated")
    func openExisting() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("typo.sqlite").path
        #expect(throws: AdministrationError.self) { _ = try AppDatabase.openExisting(path: missing) }
        #expect(!FileManager.default.fileExists(atPath: missing), "nothing is created")
        let older = folder.appendingPathComponent("older.sqlite").path
        let queue = try DatabaseQueue(path: older)
        try Migrations.migrator.migrate(queue, upTo: "010_signing_keys")
        try queue.close()
        #expect(throws: AdministrationError.self) { _ = try AppDatabase.openExisting(path: older) }
        let applied = try DatabaseQueue(path: older).read { try Migrations.migrator.appliedMigrations($0) }
        #expect(applied.last == "010_signing_keys", "nothing is migrated")
        let current = folder.appendingPathComponent("current.sqlite").path
        _ = try AppDatabase.open(path: current)
        #expect(throws: Never.self) { _ = try AppDatabase.openExisting(path: current) }
    }

    @Test("A backup is readable by its owner only, and never written through a link or over a file")
    func backupFile() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try AppDatabase.open(path: folder.appendingPathComponent("todo.sqlite").path)
        let path = folder.appendingPathComponent("backup.sqlite").path
        try Administration(database).backup(to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let link = folder.appendingPathComponent("link.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: folder.appendingPathComponent("elsewhere").path)
        #expect(throws: AdministrationError.self) { try Administration(database).backup(to: link) }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("elsewhere").path))
    }

    @Test("Restore refuses a backup with a schema of its own, one missing an object, or from a newer server, and keeps the database it replaces")
    func restoreChecks() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("todo.sqlite").path
        // The live database, closed again before restoring (as a stopped server's is).
        try await { () async throws in
            let live = try AppDatabase.open(path: path)
            _ = try await SQLiteUserRepository(live).findOrCreateUser(email: "live@example.com")
        }()

        func backup(_ name: String, _ change: String?) throws -> String {
            let file = folder.appendingPathComponent(name).path
            let queue = try DatabaseQueue(path: file)
            try Migrations.migrator.migrate(queue)
            if let change { try queue.write { try $0.execute(sql: change) } }
            try queue.close()
            return file
        }
        let trigger = try backup(
            "trigger.sqlite",
            "CREATE TRIGGER steal AFTER INSERT ON user_emails BEGIN INSERT INTO user_emails (email, user_id, created_at) VALUES ('x@evil.example', NEW.user_id, 0); END"
        )
        let newer = try backup("newer.sqlite", "INSERT INTO grdb_migrations (identifier) VALUES ('999_from_the_future')")
        let changed = try backup("changed.sqlite", "ALTER TABLE todos ADD COLUMN extra TEXT")
        // Without the trigger that counts creates, the limit per person would never hold again.
        let missing = try backup("missing.sqlite", "DROP TRIGGER todos_counted_on_insert")
        for file in [trigger, newer, changed, missing] {
            #expect(throws: AdministrationError.self, "\(file)") { try Administration.restore(backup: file, into: path) }
        }
        let users = try await { () async throws -> [String] in
            try await AppDatabase.openExisting(path: path).read { try String.fetchAll($0, sql: "SELECT email FROM user_emails") }
        }()
        #expect(users == ["live@example.com"], "a refused restore changes nothing")

        let older = folder.appendingPathComponent("older.sqlite").path
        let queue = try DatabaseQueue(path: older)
        try Migrations.migrator.migrate(queue, upTo: "015_mail_outbox")
        try queue.close()
        try Administration.restore(backup: older, into: path)
        #expect(try AppDatabase.openExisting(path: path).appliedMigrations() == Migrations.all.map(\.name), "an older backup is migrated")
        let kept = try AppDatabase.open(path: path + ".before-restore")
        #expect(try await kept.read { try String.fetchAll($0, sql: "SELECT email FROM user_emails") } == ["live@example.com"])
    }

    @Test("A backup taken during writes is consistent; restore refuses under a server, refuses a foreign file, and brings the data back")
    func backupAndRestore() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("todo.sqlite").path
        let database = try AppDatabase.open(path: path)
        let owner = try await SQLiteUserRepository(database).findOrCreateUser(email: "ada@example.com")
        let todos = SQLiteTodoRepository(database)

        for index in 0..<100 {
            try await todos.insert(Todo(id: .random(), owner: owner, title: "before \(index)", createdAt: Self.t0, updatedAt: Self.t0))
        }
        // Writes go on while the backup runs.
        let writer = Task {
            var written = 100
            while !Task.isCancelled && written < 600 {
                try await todos.insert(Todo(id: .random(), owner: owner, title: "t\(written)", createdAt: Self.t0, updatedAt: Self.t0))
                written += 1
            }
            return written
        }
        let backupPath = folder.appendingPathComponent("backup.sqlite").path
        try Administration(database).backup(to: backupPath)
        let written = try await writer.value
        #expect(throws: AdministrationError.self) { try Administration(database).backup(to: backupPath) }

        let copy = try DatabaseQueue(path: backupPath)
        let (copied, check) = try await copy.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM todos") ?? -1, try String.fetchOne(db, sql: "PRAGMA integrity_check"))
        }
        try copy.close()
        #expect(check == "ok" && (100...written).contains(copied))

        // A server holds the lock: restore refuses.
        let server = try ServerLock(databasePath: path)
        #expect(try server.acquire())
        #expect(throws: AdministrationError.self) { try Administration.restore(backup: backupPath, into: path) }
        server.release()

        let foreign = folder.appendingPathComponent("notes.txt").path
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: foreign))
        #expect(throws: AdministrationError.self) { try Administration.restore(backup: foreign, into: path) }
        #expect(throws: AdministrationError.self) { try Administration.restore(backup: folder.appendingPathComponent("missing").path, into: path) }

        try Administration.restore(backup: backupPath, into: path)
        let restored = try AppDatabase.open(path: path)
        let count = try await restored.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM todos") }
        #expect(count == copied, "the restored database holds exactly what the backup held")
        #expect(try restored.appliedMigrations() == Migrations.all.map(\.name))
    }
}
