public import MCPCore

/// The todo list people see and tick inside the chat: an MCP Apps view (`ui://todos/list`) that
/// hosts such as Claude, VS Code and ChatGPT show beside the results of `list_todos` and
/// `complete_todos`.
///
/// The document is `Widget/todo-list.html`, embedded in the binary: plain HTML, CSS and
/// JavaScript with no build step and nothing loaded from anywhere. It renders the tool result's
/// `structuredContent`, completes or reopens a todo when its box is ticked (through `tools/call`,
/// relayed by the host with the person's own token), and pages with "Load more".
public enum TodoWidget {
    /// The view, linked from the tools that return lists of todos.
    public static let view = AppView(
        uri: "ui://todos/list",
        name: "todo-list",
        title: "Todo list",
        description: "The person's todos as a list they can tick: due dates (overdue and today marked), priority and tags.",
        html: String(decoding: PackageResources.todo_list_html, as: UTF8.self),
        prefersBorder: true
    )
}
