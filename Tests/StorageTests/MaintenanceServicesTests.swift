import Foundation
import GRDB
import Logging
import OAuthKit
import ServiceLifecycleTestKit
import Testing

@testable import Storage

@Suite("Maintenance services")
struct MaintenanceServicesTests {
    @Test("Runs a pass at once and stops on graceful shutdown, however long its interval", .timeLimit(.minutes(1)))
    func stopsOnShutdown() async throws {
        let database = try AppDatabase.inMemory()
        try await SQLiteOAuthStoreSeed.expiredLoginCode(in: database)
        let service = CleanupService(
            database: database,
            interval: .seconds(3600),
            sessionIdleTimeout: 86_400,
            now: { Date(timeIntervalSince1970: 1_800_000_000) },
            logger: Logger(label: "test")
        )
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                while try await SQLiteOAuthStoreSeed.loginCodeCount(in: database) > 0 { await Task.yield() }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    @Test("The checkpoint service copies the log into the database file at once and stops on graceful shutdown", .timeLimit(.minutes(1)))
    func checkpointsAndStops() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("todo.sqlite").path
        let database = try AppDatabase.open(path: path)
        _ = try await database.checkpoint()
        let users = SQLiteUserRepository(database)
        for index in 0..<200 { _ = try await users.findOrCreateUser(email: "user\(index)@example.com") }
        let before = try Self.fileSize(path)

        let service = CheckpointService(database: database, interval: .seconds(3600), logger: Logger(label: "test"))
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                while try Self.fileSize(path) == before { try await Task.sleep(for: .milliseconds(5)) }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(try Self.fileSize(path) > before, "the new rows reached the database file")
    }

    private static func fileSize(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    }
}

enum SQLiteOAuthStoreSeed {
    static func expiredLoginCode(in database: AppDatabase) async throws {
        try await SQLiteOAuthStore(database).replaceLoginCode(
            LoginCode(id: "l", email: "a@example.com", flowID: "f", codeHash: "h", expiresAt: Date(timeIntervalSince1970: 1_700_000_000))
        )
    }

    static func loginCodeCount(in database: AppDatabase) async throws -> Int {
        try await database.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM login_codes") ?? 0 }
    }
}
