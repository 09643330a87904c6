/// What the metrics report of a database.
public struct DatabaseStatistics: Hashable, Sendable {
    /// The bytes the database takes (SQLite: its pages, less what the write-ahead log holds;
    /// PostgreSQL: `pg_database_size`).
    public var sizeBytes: Int
    /// E-mails waiting in the outbox.
    public var outboxDepth: Int

    /// Statistics from their parts.
    public init(sizeBytes: Int, outboxDepth: Int) {
        self.sizeBytes = sizeBytes
        self.outboxDepth = outboxDepth
    }
}
