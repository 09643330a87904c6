public import Foundation
import GRDB
public import OAuthKit
import TodoDomain

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the admin commands of `todo-server` do to a database file: list users and their grants,
/// revoke grants, add a signing key, and back up and restore while keeping every rule the server
/// keeps (revocations reach access tokens; a restore never runs under a live server).
public struct Administration: Sendable {
    let database: AppDatabase

    /// Administration of `database`.
    public init(_ database: AppDatabase) { self.database = database }

    /// A person as `todo-server users` lists them.
    public struct UserSummary: Hashable, Sendable {
        public var subject: String
        public var email: String
        public var createdAt: Date
        public var todos: Int
        public var connectedApps: Int
    }

    /// Every user, oldest first, with the number of their todos and connected apps.
    public func users() async throws -> [UserSummary] {
        try await self.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT users.id,
                        (SELECT email FROM user_emails WHERE user_id = users.id ORDER BY created_at, email LIMIT 1),
                        users.created_at,
                        (SELECT count(*) FROM todos WHERE owner_id = users.id),
                        (SELECT count(*) FROM consents WHERE user_id = users.id)
                    FROM users ORDER BY users.created_at, users.id
                    """
            ).map { row in
                UserSummary(subject: row[0], email: row[1] ?? "", createdAt: Date(millisecondsSince1970: row[2]), todos: row[3], connectedApps: row[4])
            }
        }
    }

    /// The user who signs in with `email`, if any.
    public func subject(email: String) async throws -> String? {
        try await SQLiteUserRepository(self.database).user(email: email.lowercased()).map(\.rawValue)
    }

    /// An app a user approved, with its client's name.
    public struct Grant: Hashable, Sendable {
        public var connection: AppConnection
        public var clientName: String?
    }

    /// The apps `subject` approved.
    public func grants(subject: String, at date: Date) async throws -> [Grant] {
        let store = SQLiteOAuthStore(self.database)
        var grants: [Grant] = []
        for connection in try await store.connections(subject: subject, at: date) {
            grants.append(Grant(connection: connection, clientName: try await store.client(id: connection.clientID)?.name))
        }
        return grants
    }

    /// Revokes the grants of `subject` for one client (or all) and forgets the approval, as
    /// "Disconnect" does: refresh tokens at once; access tokens through the table of revoked grants,
    /// which a running server reads every few seconds. The grants stay refused for the longest
    /// access-token lifetime a server may be configured with, whatever this process was told.
    /// Returns the grants revoked.
    public func revoke(subject: String, clientID: String?, at date: Date) async throws -> [String] {
        let store = SQLiteOAuthStore(self.database)
        let families = try await store.revokeGrants(subject: subject, clientID: clientID, forgetConsent: true, at: date)
        for family in families {
            try await store.revokeGrant(id: family, expiresAt: date.addingTimeInterval(Self.longestAccessTokenLifetime + 60))
        }
        return families
    }

    /// The most `ACCESS_TOKEN_TTL` allows.
    static let longestAccessTokenLifetime: TimeInterval = 86_400

    /// Adds a new random signing key, which signs from then on (a running server picks it up within
    /// a few seconds); the older keys stay in the ring, so tokens they signed stay valid until they
    /// expire. Returns the new key's id.
    public func rotateSigningKey(at date: Date) async throws -> String {
        let id = OAuthEnvironment.systemRandomBytes(6).map { String(format: "%02x", $0) }.joined()
        try await self.rotateSigningKey(id: id, secret: OAuthEnvironment.systemRandomBytes(32), at: date)
        return id
    }

    /// The signing keys, oldest first; the last one signs.
    public func signingKeys() async throws -> [(id: String, createdAt: Date)] {
        try await self.database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, created_at FROM signing_keys ORDER BY created_at, id").map { ($0[0], Date(millisecondsSince1970: $0[1])) }
        }
    }

    /// Removes the signing key `id` from the ring: tokens, cookies and pending login codes it
    /// signed stop working (within seconds on a running server). The key that signs cannot be
    /// retired; rotate first.
    public func retireSigningKey(id: String) async throws {
        let keys = try await self.signingKeys()
        guard keys.contains(where: { $0.id == id }) else { throw AdministrationError("there is no signing key \(id); see 'todo-server keys list'") }
        guard keys.last?.id != id else { throw AdministrationError("\(id) is the key that signs; run 'todo-server keys rotate' first") }
        try await self.database.writer.write { db in
            try db.execute(sql: "DELETE FROM signing_keys WHERE id = ?", arguments: [id])
        }
    }

    /// Adds the signing key `id` with `secret`.
    func rotateSigningKey(id: String, secret: [UInt8], at date: Date) async throws {
        try await self.database.writer.write { db in
            try db.execute(
                sql: "INSERT INTO signing_keys (id, secret, created_at) VALUES (?, ?, ?)",
                arguments: [id, Data(secret), date.millisecondsSince1970]
            )
        }
    }

    /// Writes a consistent copy of the database to a new file at `path` with SQLite's online
    /// backup, while the server goes on reading and writing. The file is readable by its owner
    /// only (it holds the signing keys), and an existing file or link is never overwritten.
    public func backup(to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw AdministrationError(errno == EEXIST ? "\(path) exists; choose a new file name" : "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        let target = try DatabaseQueue(path: path)
        do {
            try self.database.writer.backup(to: target)
            try target.close()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// Replaces the database at `path` with the backup at `backupPath`. Refuses while a server
    /// holds the database (see ``ServerLock``). The backup is copied to a new file beside the
    /// database and checked there first: intact, of this server (no migration this binary does not
    /// know), and holding nothing its schema does not (no extra trigger or view). Only then is it
    /// migrated and moved into place; the database it replaces is kept as `<path>.before-restore`.
    public static func restore(backup backupPath: String, into path: String) throws {
        guard FileManager.default.fileExists(atPath: backupPath) else { throw AdministrationError("\(backupPath) does not exist") }
        let lock = try ServerLock(databasePath: path)
        guard try lock.acquire() else {
            throw AdministrationError("a server is running on \(path); stop it before restoring")
        }
        defer { lock.release() }
        let staging = path + ".restoring"
        try? FileManager.default.removeItem(atPath: staging)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        do {
            var readOnly = Configuration()
            readOnly.readonly = true
            let source = try DatabaseQueue(path: backupPath, configuration: readOnly)
            let copy = try DatabaseQueue(path: staging)
            try source.backup(to: copy)
            try source.close()
            try Self.check(copy)
            try Migrations.migrator.migrate(copy)
            try copy.close()
        } catch let error as AdministrationError {
            throw AdministrationError("\(backupPath) cannot be restored: \(error.message)")
        } catch {
            throw AdministrationError("\(backupPath) is not a todo-server database")
        }
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let kept = path + ".before-restore"
            try? manager.removeItem(atPath: kept)
            try manager.moveItem(atPath: path, toPath: kept)
        }
        for suffix in ["-wal", "-shm"] { try? manager.removeItem(atPath: path + suffix) }
        try manager.moveItem(atPath: staging, toPath: path)
    }

    /// Refuses a copy that is damaged, comes from a newer server, or whose schema differs from what
    /// its migrations make (objects added, changed or missing).
    private static func check(_ copy: DatabaseQueue) throws {
        let known = Migrations.all.map(\.name)
        let (integrity, applied, objects) = try copy.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                // The table itself: the migrator would leave out migrations it does not know.
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier"),
                Set(try String.fetchAll(db, sql: Self.schemaQuery))
            )
        }
        guard integrity == "ok" else { throw AdministrationError("it is damaged (\(integrity ?? "no answer"))") }
        guard !applied.isEmpty, applied == Array(known.prefix(applied.count)) else {
            throw AdministrationError("it is not a todo-server database of this version or older")
        }
        // What the same migrations make, in a fresh database: anything beyond that is foreign.
        let template = try DatabaseQueue()
        try Migrations.migrator.migrate(template, upTo: applied.last!)
        let expected = Set(try template.read { db in try String.fetchAll(db, sql: Self.schemaQuery) })
        // Missing objects count too: a copy without the triggers that keep counts would lift limits.
        let different = objects.symmetricDifference(expected)
        guard different.isEmpty else {
            let names = Set(different.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }).sorted()
            throw AdministrationError("its schema differs from this server's: \(names.joined(separator: ", "))")
        }
    }

    /// Every schema object with its full definition, so that a changed table or an added
    /// trigger or view shows.
    private static let schemaQuery = "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
}

/// A refusal of an admin command, in one line.
public struct AdministrationError: Error, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { self.message }
}

/// An advisory lock on `<database>.lock` that a serving process holds for its whole life, so that
/// commands that must not run under a live server (restore) can tell.
public final class ServerLock: Sendable {
    private let descriptor: Int32

    /// The lock file of the database at `databasePath` (created if needed); not yet held.
    public init(databasePath: String) throws {
        let path = databasePath + ".lock"
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw AdministrationError("cannot open \(path): \(String(cString: strerror(errno)))") }
        self.descriptor = descriptor
    }

    /// Takes the lock without waiting; `false` when another process (or descriptor) holds it.
    public func acquire() throws -> Bool {
        if flock(self.descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
        if errno == EWOULDBLOCK { return false }
        throw AdministrationError("cannot lock the database: \(String(cString: strerror(errno)))")
    }

    /// Lets go of the lock.
    public func release() { _ = flock(self.descriptor, LOCK_UN) }

    deinit { close(self.descriptor) }
}
