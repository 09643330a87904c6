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
        ("005_oauth_clients", PackageResources._05_oauth_clients_sql),
        ("006_login_codes", PackageResources._06_login_codes_sql),
        ("007_authorization_codes", PackageResources._07_authorization_codes_sql),
        ("008_consents", PackageResources._08_consents_sql),
        ("009_refresh_tokens", PackageResources._09_refresh_tokens_sql),
        ("010_signing_keys", PackageResources._10_signing_keys_sql),
        ("011_revoked_access_tokens", PackageResources._11_revoked_access_tokens_sql),
        ("012_login_codes_per_flow", PackageResources._12_login_codes_per_flow_sql),
        ("013_refresh_token_successors", PackageResources._13_refresh_token_successors_sql),
        ("014_revoked_grants", PackageResources._14_revoked_grants_sql),
        ("015_mail_outbox", PackageResources._15_mail_outbox_sql),
        ("016_accounts", PackageResources._16_accounts_sql),
        ("017_todo_counts", PackageResources._17_todo_counts_sql),
        ("018_todo_tags", PackageResources._18_todo_tags_sql),
        ("019_todo_settings", PackageResources._19_todo_settings_sql),
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
