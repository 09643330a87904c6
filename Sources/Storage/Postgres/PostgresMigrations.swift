import Foundation

/// The PostgreSQL schema migrations, in order: the SQL files of `db/migrations/postgres/`, embedded
/// in the binary at build time. Add one by adding `NNN_name.sql` there and a line here; a test
/// checks that the two lists agree.
enum PostgresMigrations {
    static let all: [(name: String, sql: [UInt8])] = [
        ("001_schema", PackageResources._01_schema_sql)
    ]

    /// The statements of a migration file, to run one by one (the extended query protocol takes
    /// one statement at a time).
    ///
    /// Hand-written because no package splits SQL, and kept to the one rule our files follow: a
    /// statement ends with `;` at the end of a line, outside a `$$` function body. Lines that are
    /// only a `--` comment are dropped.
    static func statements(of sql: [UInt8]) -> [String] {
        var statements: [String] = []
        var current: [Substring] = []
        var inBody = false
        for line in String(decoding: sql, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current.isEmpty && (trimmed.isEmpty || trimmed.hasPrefix("--")) { continue }
            current.append(line)
            // Each `$$` opens or closes a body.
            inBody = line.components(separatedBy: "$$").count.isMultiple(of: 2) ? !inBody : inBody
            if !inBody && trimmed.hasSuffix(";") {
                statements.append(current.joined(separator: "\n"))
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }
}
