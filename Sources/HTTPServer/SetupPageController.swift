import EndpointCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdEndpoints
import OAuthKit

/// The setup page that `GET /` shows browsers with the server's MCP URL and how to connect each client.
struct SetupPageController: Sendable {
    let configuration: ServerConfiguration
    let pages: MustachePageRenderer

    init(configuration: ServerConfiguration) throws {
        self.configuration = configuration
        self.pages = try MustachePageRenderer(additionalTemplates: [("setup", Self.template)])
    }

    /// The page.
    func page() -> Response {
        let html = self.pages.render(
            "setup",
            title: "Todo MCP server",
            values: [
                "mcpURL": .text(self.configuration.mcpURL),
                "publicURL": .text(self.configuration.publicURL.absoluteString),
                "accountURL": .text(self.configuration.accountURL),
            ]
        )
        return Response(EndpointResponse.html(html))
    }

    /// The setup page: the MCP URL and how to connect each client. Needs `mcpURL`.
    static let template = """
        {{<layout}}{{$body}}
        <h1>Todo MCP server</h1>
        <p class="lead">Connect an AI assistant to your todo list with one URL. The first time it connects, your browser opens to sign in with your e-mail address.</p>

        <section aria-labelledby="url">
        <h2 id="url">Server URL</h2>
        <pre class="url" id="mcp-url">{{{mcpURL}}}</pre>
        <p class="hint">Click the box once to select the whole URL, then copy it.</p>
        </section>

        <section aria-labelledby="claude-ai">
        <h2 id="claude-ai">Claude.ai and Claude Desktop</h2>
        <ol>
        <li>Open <b>Settings → Connectors</b> and choose <b>Add custom connector</b>.</li>
        <li>Name it <code>Todos</code> and paste the server URL.</li>
        <li>Choose <b>Connect</b> and sign in when the browser asks.</li>
        </ol>
        </section>

        <section aria-labelledby="claude-code">
        <h2 id="claude-code">Claude Code</h2>
        <pre class="wrap">claude mcp add --transport http todos {{{mcpURL}}}</pre>
        <p class="hint">Then run <code>/mcp</code> inside Claude Code and choose <b>Authenticate</b>.</p>
        </section>

        <section aria-labelledby="cursor">
        <h2 id="cursor">Cursor</h2>
        <p>Add this to <code>~/.cursor/mcp.json</code> (or <code>.cursor/mcp.json</code> in a project):</p>
        <pre>{
          "mcpServers": {
            "todos": { "url": "{{{mcpURL}}}" }
          }
        }</pre>
        </section>

        <section aria-labelledby="vscode">
        <h2 id="vscode">VS Code</h2>
        <p>Add this to <code>.vscode/mcp.json</code>, or run <b>MCP: Add Server…</b> and choose HTTP:</p>
        <pre>{
          "servers": {
            "todos": { "type": "http", "url": "{{{mcpURL}}}" }
          }
        }</pre>
        </section>

        <section aria-labelledby="other">
        <h2 id="other">Other clients</h2>
        <p>Any client that speaks MCP over Streamable HTTP with OAuth can connect: give it the server URL. The server publishes its OAuth metadata at <code>{{{publicURL}}}/.well-known/oauth-protected-resource</code>.</p>
        </section>

        <section aria-labelledby="what">
        <h2 id="what">What your assistant gets</h2>
        <ul>
        <li><b>Tools</b>: list and filter your todos (text, priority, tag, due dates, today, overdue), get, create, update, complete (one or up to 100 at once) and delete them, and set your time zone.</li>
        <li><b>Prompts</b>, shown as slash commands: <code>plan-my-day</code>, <code>weekly-review</code> and <code>triage</code>, each starting from your own todos.</li>
        <li><b>Resources</b> to attach or watch: each todo at <code>todo://todos/{id}</code>, and views that stay current: <code>todo://views/open</code>, <code>todo://views/today</code> and <code>todo://views/overdue</code>. Clients that subscribe (such as VS Code) see changes made from any other client at once.</li>
        </ul>
        </section>

        <section aria-labelledby="account">
        <h2 id="account">Your account</h2>
        <p>See the apps you connected and what they can do, disconnect them, and download or delete your data on <a href="{{{accountURL}}}" id="account-link">your account page</a>.</p>
        </section>

        <footer>Your todos are visible only to you.</footer>
        {{/body}}{{/layout}}
        """
}

extension Request {
    /// Whether the client asked for an HTML page: its `Accept` names `text/html` (browsers do; a
    /// client that accepts anything with `*/*` gets the MCP endpoint).
    var acceptsHTML: Bool {
        MediaType.accepts(self.headers[values: .accept].joined(separator: ","), "text/html", explicitly: true)
    }
}
