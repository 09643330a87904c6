import Foundation
import GRDB
import Logging
import OAuthKit
import ServiceLifecycleTestKit
import Storage
import Testing

@testable import HTTPServer

@Suite("Cleanup service")
struct CleanupServiceTests {
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
}

enum SQLiteOAuthStoreSeed {
    static func expiredLoginCode(in database: AppDatabase) async throws {
        try await SQLiteOAuthStore(database).replaceLoginCode(
            LoginCode(id: "l", email: "a@example.com", codeHash: "h", expiresAt: Date(timeIntervalSince1970: 1_700_000_000))
        )
    }

    static func loginCodeCount(in database: AppDatabase) async throws -> Int {
        try await database.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM login_codes") ?? 0 }
    }
}
