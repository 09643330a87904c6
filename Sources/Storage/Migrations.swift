import GRDB

/// The schema migrations, in order: the SQL files of `db/migrations/`, embedded in the binary at
/// build time so that it runs without the source tree.
///
/// Add a migration by adding `NNN_table.sql` to `db/migrations/` and a line here; a test checks that
/// the two lists agree.
enum Migrations {
    static let all: [(name: String, sql: [UInt8])] = [
        ("001_users", PackageResources._01_users_sql),
        ("002_user_emails", PackageResources._02_user_emails_sql),
        ("003_todos", PackageResources._03_todos_sql),
        ("004_mcp_sessions", PackageResources._04_mcp_sessions_sql),
    ]

    /// A migrator that applies every migration not yet applied, each in its own transaction.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in all {
            let sql = String(decoding: migration.sql, as: UTF8.self)
            migrator.registerMigration(migration.name) { db in try db.execute(sql: sql) }
        }
        return migrator
    }
}
