/// A request the todo domain refuses, with a message a person or a model can act on.
///
/// Each edge maps these to its own wire format exactly once: a tool result with `isError`, an HTTP
/// status, a log line.
public enum TodoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A field broke one of its rules; the message names the field and the rule.
    case invalid(field: String, message: String)
    /// No todo of this owner has the id. A todo of another user is reported the same way.
    case notFound(id: String)
    /// The cursor was not one this server issued for the same filter.
    case invalidCursor
    /// The owner already keeps the most todos allowed.
    case limitReached(maxTodos: Int)

    /// The field at fault, for validation errors.
    public var field: String? {
        if case .invalid(let field, _) = self { return field }
        return nil
    }

    public var description: String {
        switch self {
        case .invalid(_, let message):
            message
        case .notFound(let id):
            "No todo with id '\(id)' exists. Use list_todos to find the ids of your todos."
        case .invalidCursor:
            "The cursor is not valid. Pass the nextCursor of the previous page unchanged, with the same filters, or omit it to start from the first page."
        case .limitReached(let maxTodos):
            "You already have \(maxTodos) todos, the most this server keeps for one person. Delete some you no longer need, then create this one again."
        }
    }
}
