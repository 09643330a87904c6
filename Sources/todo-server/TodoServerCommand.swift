import ArgumentParser
import Foundation
import HTTPServer
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Storage
import UnixSignals

@main
struct TodoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "todo-server",
        abstract: "A remote MCP server for todos, with its own OAuth 2.1 authorization server.",
        discussion: "Settings come from the environment, then from a .env file in the working directory or beside the binary.",
        subcommands: [Serve.self, Migrate.self, Reset.self, Users.self, Grants.self, Revoke.self, Keys.self, Backup.self, Restore.self, Copy.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database and serve (the default).")

    func run() async throws {
        // Swift concurrency runs its jobs on NIO's event loops (the ones Hummingbird serves on):
        // a request is read, handled and answered on one thread, instead of being handed to
        // Swift's own pool and back for every request (two thread switches each, which cost
        // more than most requests' own work). Handlers must not block for long, and do not: a
        // database read by key takes tens of microseconds; searches, other reads and writes run on
        // threads of their own. NIO asks to be installed from the main thread.
        await MainActor.run { _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() }
        let configuration = try await loadConfiguration()
        // Held while serving on SQLite, so that 'todo-server restore' (and a second server) can
        // tell; instances on PostgreSQL share their database by design.
        var lock: ServerLock?
        if configuration.postgres == nil, configuration.databasePath != ":memory:" {
            lock = try ServerLock(databasePath: configuration.databasePath)
            guard try lock?.acquire() == true else {
                fail("another server is running on \(configuration.databasePath).")
            }
        }
        defer { lock?.release() }
        LoggingSystem.bootstrap { label in
            switch configuration.logFormat {
            case .text:
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = configuration.logLevel
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = configuration.logLevel
                return handler
            }
        }
        let app = try await buildApplication(configuration)
        var group = ServiceGroupConfiguration(
            services: [app],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "todo-server")
        )
        group.maximumGracefulShutdownDuration = .seconds(configuration.shutdownTimeout)
        group.maximumCancellationDuration = .seconds(5)
        let secondSignal = SecondSignal.exitAtOnce()
        try await ServiceGroup(configuration: group).run()
        withExtendedLifetime(secondSignal) {}
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    func run() async throws {
        let configuration = try await loadConfiguration()
        if let postgres = configuration.postgres {
            let database = try await connect(postgres)
            let applied = try await database.appliedMigrations()
            await database.close()
            print("Database \(postgres.redacted) is at migration \(applied.last ?? "none").")
            return
        }
        let database = try AppDatabase.open(path: configuration.databasePath)
        print("Database \(configuration.databasePath) is at migration \(try database.appliedMigrations().last ?? "none").")
    }
}

struct Reset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete every user, token and todo, then migrate anew.")

    @Flag(help: "Confirm that all data may be deleted.")
    var yes = false

    func run() async throws {
        guard self.yes else {
            printError("reset deletes all data; run 'todo-server reset --yes' to confirm.")
            throw ExitCode.failure
        }
        let configuration = try await loadConfiguration()
        if configuration.postgres != nil {
            fail("reset works on SQLite only; with DATABASE_URL set, drop and create the PostgreSQL database instead.")
        }
        let lock = try ServerLock(databasePath: configuration.databasePath)
        guard try lock.acquire() else { fail("a server is running on \(configuration.databasePath); stop it before resetting.") }
        defer { lock.release() }
        try AppDatabase.open(path: configuration.databasePath).reset()
        print("Database \(configuration.databasePath) is empty and migrated.")
    }
}

struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite database (DATABASE_PATH) into an empty PostgreSQL database, to move to several instances.",
        discussion: """
            Stop the server first. Everything is copied in one transaction: people, todos, clients, \
            grants, signing keys and revocations, so clients stay signed in. Then set DATABASE_URL and start the instances.
            """
    )

    @Option(
        help: """
            The PostgreSQL database to copy into, as a postgres:// URL; it must be empty (a new database). \
            Without it, DATABASE_URL (which keeps a password out of the process list).
            """
    )
    var to: String?

    func run() async throws {
        let configuration = try await loadConfiguration()
        let settings: PostgresSettings
        if let url = self.to {
            do {
                settings = try PostgresSettings(url: url)
            } catch {
                fail("--to must be a PostgreSQL URL: \(error)")
            }
        } else if let configured = configuration.postgres {
            settings = configured
        } else {
            fail("say where to copy to: --to postgres://… or DATABASE_URL.")
        }
        guard configuration.databasePath != ":memory:" else { fail("DATABASE_PATH is :memory:; there is nothing to copy.") }
        let lock = try ServerLock(databasePath: configuration.databasePath)
        guard try lock.acquire() else { fail("a server is running on \(configuration.databasePath); stop it before copying.") }
        defer { lock.release() }
        let source: AppDatabase
        do {
            source = try AppDatabase.openExisting(path: configuration.databasePath)
        } catch {
            fail("\(error)")
        }
        let target = try await connect(settings)
        do {
            let counts = try await DatabaseCopy.copy(from: source, to: target)
            await target.close()
            for (table, rows) in counts where rows > 0 { print("\(table): \(rows)") }
            print("Copied \(configuration.databasePath) into \(settings.redacted). Set DATABASE_URL to it and start the server.")
        } catch {
            await target.close()
            fail("copy refused: \(error is DatabaseCopyError ? "\(error)" : String(reflecting: error))")
        }
    }
}

/// A pool to the PostgreSQL database of `settings`, migrated; ends the command with one line when it cannot be reached.
func connect(_ settings: PostgresSettings) async throws -> PostgresAppDatabase {
    var logger = Logger(label: "todo-server")
    logger.logLevel = .error
    do {
        return try await PostgresAppDatabase.connect(settings, maximumConnections: 2, logger: logger)
    } catch {
        fail("\(error)")
    }
}

/// While a graceful shutdown drains, a second SIGTERM or SIGINT ends the process at once
/// (ServiceLifecycle handles the first).
enum SecondSignal {
    static func exitAtOnce() -> [any DispatchSourceSignal] {
        let received = NIOLockedValueBox(0)
        return [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let count = received.withLockedValue { count in
                    count += Int(source.data)
                    return count
                }
                if count >= 2 {
                    printError("a second signal arrived while shutting down; exiting at once.")
                    _exit(1)  // no exit handlers: other threads are still running
                }
            }
            source.resume()
            return source
        }
    }
}

/// The configuration from the environment and the `.env` files, highest priority first. A malformed
/// value ends the process with one line naming it.
func loadConfiguration() async throws -> ServerConfiguration {
    do {
        let folders = [FileManager.default.currentDirectoryPath, executableFolder()]
        return try await ServerConfiguration.load(environmentFiles: folders.map { $0 + "/.env" })
    } catch {
        printError("\(error)")
        throw ExitCode.failure
    }
}

private func executableFolder() -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("todo-server: \(message)\n".utf8))
}

/// Ends the command with one line on standard error and exit status 1.
func fail(_ message: String) -> Never {
    printError(message)
    exit(1)
}
