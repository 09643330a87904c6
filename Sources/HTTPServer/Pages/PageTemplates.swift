/// The HTML templates, compiled into the binary so the server needs no files at run time.
///
/// Mustache escapes every `{{value}}` for HTML text and attributes; nothing here uses the
/// unescaped `{{{value}}}` form.
enum PageTemplates {
    /// The frame every page shares. A page extends it with `{{<layout}}` and fills the `body` block.
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>{{title}}</title>
        <style>
        :root { --fg: #1d1d1f; --muted: #5f6368; --bg: #fbfbfd; --card: #ffffff; --line: #d9dce1; --accent: #2451d6; --code: #f2f4f7; }
        @media (prefers-color-scheme: dark) {
          :root { --fg: #ececf1; --muted: #a3a8b3; --bg: #15171b; --card: #1e2127; --line: #343842; --accent: #8aa8ff; --code: #262a31; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        main { max-width: 46rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
        h1 { font-size: 1.75rem; line-height: 1.2; margin: 0 0 .5rem; }
        h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
        p { margin: .5rem 0; }
        .lead { color: var(--muted); margin-bottom: 1.5rem; }
        section { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 1.1rem 1.2rem; margin: 1rem 0; }
        pre, code { font: 14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
        pre { background: var(--code); border-radius: 8px; padding: .75rem .9rem; margin: .5rem 0; overflow-x: auto; white-space: pre; user-select: all; -webkit-user-select: all; }
        code { background: var(--code); border-radius: 4px; padding: .05rem .3rem; }
        .url { font-size: 1.05rem; }
        .url, .wrap { word-break: break-all; white-space: pre-wrap; }
        ol { padding-left: 1.3rem; margin: .4rem 0; }
        .hint { color: var(--muted); font-size: .9rem; }
        a { color: var(--accent); }
        footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; }
        </style>
        </head>
        <body>
        <main>
        {{$body}}{{/body}}
        </main>
        </body>
        </html>
        """

    /// The setup page: the MCP URL and how to connect each client. Needs `mcpURL`.
    static let setup = """
        {{<layout}}{{$body}}
        <h1>Todo MCP server</h1>
        <p class="lead">Connect an AI assistant to your todo list with one URL. The first time it connects, your browser opens to sign in with your e-mail address.</p>

        <section aria-labelledby="url">
        <h2 id="url">Server URL</h2>
        <pre class="url" id="mcp-url">{{mcpURL}}</pre>
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
        <pre class="wrap">claude mcp add --transport http todos {{mcpURL}}</pre>
        <p class="hint">Then run <code>/mcp</code> inside Claude Code and choose <b>Authenticate</b>.</p>
        </section>

        <section aria-labelledby="cursor">
        <h2 id="cursor">Cursor</h2>
        <p>Add this to <code>~/.cursor/mcp.json</code> (or <code>.cursor/mcp.json</code> in a project):</p>
        <pre>{
          "mcpServers": {
            "todos": { "url": "{{mcpURL}}" }
          }
        }</pre>
        </section>

        <section aria-labelledby="vscode">
        <h2 id="vscode">VS Code</h2>
        <p>Add this to <code>.vscode/mcp.json</code>, or run <b>MCP: Add Server…</b> and choose HTTP:</p>
        <pre>{
          "servers": {
            "todos": { "type": "http", "url": "{{mcpURL}}" }
          }
        }</pre>
        </section>

        <section aria-labelledby="other">
        <h2 id="other">Other clients</h2>
        <p>Any client that speaks MCP over Streamable HTTP with OAuth can connect: give it the server URL. The server publishes its OAuth metadata at <code>{{publicURL}}/.well-known/oauth-protected-resource</code>.</p>
        </section>

        <footer>Tools: list, get, create, update, complete and delete todos. Your todos are visible only to you.</footer>
        {{/body}}{{/layout}}
        """
}
