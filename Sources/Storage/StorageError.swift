/// A failure of the storage layer itself, not of the caller's request.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case corruptRow(table: String, id: String)
    }

    private let code: Code

    /// A stored row that the current code cannot read.
    public static func corruptRow(table: String, id: String) -> StorageError {
        StorageError(code: .corruptRow(table: table, id: id))
    }

    public var description: String {
        switch self.code {
        case .corruptRow(let table, let id): "The \(table) row '\(id)' cannot be read."
        }
    }
}
