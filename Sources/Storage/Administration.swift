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
    /// which a running server reads every few seconds. Returns the grants revoked.
    public func revoke(subject: String, clientID: String?, accessTokenLifetime: TimeInterval, at date: Date) async throws -> [String] {
        let store = SQLiteOAuthStore(self.database)
        let families = try await store.revokeGrants(subject: subject, clientID: clientID, forgetConsent: true, at: date)
        for family in families {
            try await store.revokeGrant(id: family, expiresAt: date.addingTimeInterval(accessTokenLifetime + 1))
        }
        return families
    }

    /// Adds a new random signing key, which signs from then on (a running server picks it up within
    /// a few seconds); the older keys stay in the ring, so tokens they signed stay valid until they
    /// expire. Returns the new key's id.
    public func rotateSigningKey(at date: Date) async throws -> String {
        let id = OAuthEnvironment.systemRandomBytes(6).map { String(format: "%02x", $0) }.joined()
        try await self.rotateSigningKey(id: id, secret: OAuthEnvironment.systemRandomBytes(32), at: date)
        return id
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
    /// backup, while the server goes on reading and writing. Refuses to overwrite a file.
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw AdministrationError("\(path) exists; choose a new file name") }
        let target = try DatabaseQueue(path: path)
        do {
            try self.database.writer.backup(to: target)
            try target.close()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// Replaces the database at `path` with the backup at `backupPath`, after checking that it is a
    /// database of this server, and migrates it to the current schema. Refuses while a server holds
    /// the database (see ``ServerLock``).
    public static func restore(backup backupPath: String, into path: String) throws {
        guard FileManager.default.fileExists(atPath: backupPath) else { throw AdministrationError("\(backupPath) does not exist") }
        let lock = try ServerLock(databasePath: path)
        guard try lock.acquire() else {
            throw AdministrationError("a server is running on \(path); stop it before restoring")
        }
        defer { lock.release() }
        var configuration = Configuration()
        configuration.readonly = true
        let source: DatabaseQueue
        do {
            source = try DatabaseQueue(path: backupPath, configuration: configuration)
            let applied = try source.read { try Migrations.migrator.appliedMigrations($0) }
            guard applied.first == Migrations.all.first?.name else { throw AdministrationError("no migrations") }
        } catch let error as AdministrationError {
            throw AdministrationError("\(backupPath) is not a todo-server database (\(error.message))")
        } catch {
            throw AdministrationError("\(backupPath) is not a todo-server database")
        }
        let target = try AppDatabase.open(path: path)
        try source.backup(to: target.writer)
        try target.migrate()
    }
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
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
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
