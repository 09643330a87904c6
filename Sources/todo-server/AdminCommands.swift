import ArgumentParser
import Foundation
import HTTPServer
import OAuthKit
import Storage

/// `todo-server users`: everyone who signed in, with their todos and connected apps.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the users, with the number of their todos and connected apps.")

    func run() async throws {
        let administration = try openAdministration(try await loadConfiguration())
        let users = try await administration.users()
        guard !users.isEmpty else {
            print("No users yet.")
            return
        }
        let width = max(5, users.map(\.email.count).max() ?? 0)
        print("EMAIL".padding(toLength: width, withPad: " ", startingAt: 0) + "  TODOS  APPS  SINCE")
        for user in users {
            print(
                user.email.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + pad(user.todos, 5) + "  " + pad(user.connectedApps, 4) + "  "
                    + day(user.createdAt)
            )
        }
        print("\(users.count) \(users.count == 1 ? "user" : "users").")
    }
}

/// `todo-server grants --user EMAIL`: the apps a person approved.
struct Grants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the apps a user approved, and whether they are signed in.")

    @Option(help: "The user's e-mail address.")
    var user: String

    func run() async throws {
        let administration = try openAdministration(try await loadConfiguration())
        let subject = try await findUser(self.user, administration)
        let grants = try await administration.grants(subject: subject, at: Date())
        guard !grants.isEmpty else {
            print("\(self.user) has no connected apps.")
            return
        }
        for grant in grants {
            let connection = grant.connection
            print("\(connection.clientID)  \(grant.clientName.map(printable) ?? "(unknown client)")")
            print("    scopes: \(connection.scopes.joined(separator: " "))")
            print("    first authorized \(day(connection.firstAuthorizedAt)), last used \(connection.lastUsedAt.map(day) ?? "not recently")")
            print("    \(connection.isSignedIn ? "signed in" : "signed out")")
        }
    }
}

/// `todo-server revoke --user EMAIL [--client ID]`: as "Disconnect" on the account page.
struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Disconnect a user's apps (one with --client): their tokens stop working and the approval is forgotten."
    )

    @Option(help: "The user's e-mail address.")
    var user: String

    @Option(help: "Only this client id (see 'todo-server grants').")
    var client: String?

    func run() async throws {
        let configuration = try await loadConfiguration()
        let administration = try openAdministration(configuration)
        let subject = try await findUser(self.user, administration)
        if let client = self.client, try await !administration.grants(subject: subject, at: Date()).contains(where: { $0.connection.clientID == client }) {
            fail("\(self.user) has not approved the client \(client); see 'todo-server grants --user \(self.user)'.")
        }
        let revoked = try await administration.revoke(subject: subject, clientID: self.client, at: Date())
        print(
            "Disconnected \(self.client.map { "the client \($0)" } ?? "every app") of \(self.user): \(revoked.count) \(revoked.count == 1 ? "grant" : "grants") revoked. A running server refuses their access tokens within seconds."
        )
    }
}

/// `todo-server keys rotate`.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the keys that sign access tokens, sessions and login codes.",
        subcommands: [List.self, Rotate.self, Retire.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the signing keys, oldest first; the last one signs.")

        func run() async throws {
            let administration = try openAdministration(try await loadConfiguration())
            let keys = try await administration.signingKeys()
            for (index, key) in keys.enumerated() {
                print("\(key.id)  added \(day(key.createdAt))\(index == keys.count - 1 ? "  (signs)" : "")")
            }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a signing key: what it signed stops working (for a key that leaked, after 'keys rotate')."
        )

        @Argument(help: "The key id (see 'todo-server keys list').")
        var id: String

        func run() async throws {
            let configuration = try await loadConfiguration()
            guard configuration.signingKeys.isEmpty else {
                fail("the signing keys come from TOKEN_SIGNING_KEYS; remove the key there and restart.")
            }
            do {
                try await openAdministration(configuration).retireSigningKey(id: self.id)
            } catch let error as AdministrationError {
                fail("\(error)")
            }
            print("Retired signing key \(self.id): tokens, sessions and login codes it signed are refused from now on (within seconds on a running server).")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new signing key; tokens signed with the older keys stay valid until they expire."
        )

        func run() async throws {
            let configuration = try await loadConfiguration()
            guard configuration.signingKeys.isEmpty else {
                fail("the signing keys come from TOKEN_SIGNING_KEYS; add the new key there (last) and restart.")
            }
            let administration = try openAdministration(configuration)
            let id = try await administration.rotateSigningKey(at: Date())
            print("Added signing key \(id); it signs from now on (a running server picks it up within seconds). Tokens signed with older keys stay valid until they expire.")
        }
    }
}

/// `todo-server backup FILE`.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a consistent copy of the database to a new file, while the server runs.")

    @Argument(help: "The file to write; it must not exist.")
    var file: String

    func run() async throws {
        let configuration = try await loadConfiguration()
        do {
            try openAdministration(configuration).backup(to: self.file)
        } catch {
            fail("backup failed: \(error)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: self.file)[.size] as? Int) ?? 0
        print("Backed up \(configuration.databasePath) to \(self.file) (\(size) bytes).")
    }
}

/// `todo-server restore FILE`.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace the database with a backup; refuses while a server runs on it."
    )

    @Argument(help: "A file written by 'todo-server backup'.")
    var file: String

    func run() async throws {
        let configuration = try await loadConfiguration()
        do {
            try Administration.restore(backup: self.file, into: configuration.databasePath)
        } catch {
            fail("restore refused: \(error)")
        }
        print("Restored \(configuration.databasePath) from \(self.file).")
    }
}

private func openAdministration(_ configuration: ServerConfiguration) throws -> Administration {
    guard configuration.postgres == nil else {
        fail("this command works on SQLite (DATABASE_PATH); with DATABASE_URL set, use PostgreSQL's own tools (see the README).")
    }
    guard configuration.databasePath != ":memory:" else { fail("DATABASE_PATH is :memory:; there is nothing to administer.") }
    do {
        return Administration(try AppDatabase.openExisting(path: configuration.databasePath))
    } catch {
        fail("\(error)")
    }
}

/// `text` without control or bidirectional-formatting characters, which a client's registered
/// name could use to rewrite the admin's terminal.
private func printable(_ text: String) -> String {
    String(
        String.UnicodeScalarView(
            text.unicodeScalars.filter { scalar in
                !(scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format)
            }
        )
    )
}

private func findUser(_ email: String, _ administration: Administration) async throws -> String {
    guard let subject = try await administration.subject(email: email) else {
        fail("no user signs in with \(email); see 'todo-server users'.")
    }
    return subject
}

private func pad(_ number: Int, _ width: Int) -> String {
    let text = String(number)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

private func day(_ date: Date) -> String { String(date.formatted(.iso8601).prefix(10)) }
