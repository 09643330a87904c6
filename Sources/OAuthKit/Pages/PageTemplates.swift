/// The HTML templates, compiled into the binary so the server needs no files at run time.
///
/// Every value arrives already escaped by ``MustachePageRenderer`` (see ``HTMLEscaping``), so templates
/// print values with `{{{value}}}`; the double-brace form would escape them a second time.
package enum PageTemplates {
    /// The frame every page shares. A page extends it with `{{<layout}}` and fills the `body` block.
    package static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <link rel="icon" href="data:,">
        <title>{{{title}}}</title>
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
        .card { max-width: 26rem; margin: 2rem auto 0; }
        label { display: block; font-weight: 600; margin: .75rem 0 .35rem; }
        input[type=email], input[type=text] { width: 100%; font: inherit; padding: .65rem .75rem; border: 1px solid var(--line); border-radius: 8px; background: var(--bg); color: var(--fg); }
        input.code { font: 1.4rem/1.2 ui-monospace, Menlo, Consolas, monospace; letter-spacing: .3em; text-transform: uppercase; }
        button { font: inherit; font-weight: 600; padding: .65rem 1.1rem; border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; margin-top: 1rem; width: 100%; }
        button.secondary { background: transparent; color: var(--accent); }
        button.link { background: none; border: none; color: var(--accent); padding: 0; width: auto; margin: 0; font-weight: 400; text-decoration: underline; }
        .actions { display: flex; gap: .75rem; }
        .actions button { flex: 1; }
        .message { background: #fdecea; color: #8a1c12; border-radius: 8px; padding: .6rem .8rem; margin: .75rem 0; }
        @media (prefers-color-scheme: dark) { .message { background: #3b1d1a; color: #ffb4a9; } }
        .demo { border: 1px dashed var(--line); border-radius: 8px; padding: .6rem .8rem; margin: .75rem 0; }
        #demo-code { font: 1.3rem ui-monospace, Menlo, Consolas, monospace; letter-spacing: .25em; }
        ul.scopes { padding-left: 1.2rem; }
        .notice { background: #e7f4ea; color: #135c2a; border-radius: 8px; padding: .6rem .8rem; margin: .75rem 0; }
        @media (prefers-color-scheme: dark) { .notice { background: #17301f; color: #a6e3b5; } }
        .bar { display: flex; align-items: baseline; justify-content: space-between; gap: 1rem; }
        .bar form { flex: none; }
        .app { border-top: 1px solid var(--line); padding-top: .75rem; margin-top: .75rem; }
        .app:first-of-type { border-top: none; margin-top: 0; padding-top: 0; }
        h3 { font-size: 1.05rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: .5rem 0; font-size: .9rem; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; }
        ul.items { list-style: none; padding: 0; margin: .25rem 0; }
        ul.items li { padding: .45rem 0; border-bottom: 1px solid var(--line); display: flex; flex-direction: column; overflow-wrap: anywhere; }
        ul.items li.done .title { text-decoration: line-through; color: var(--muted); }
        .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        .pages { display: flex; gap: 1rem; margin-top: .5rem; }
        .danger { border-color: #d93025; }
        button.destructive { background: #c5221f; border-color: #c5221f; }
        button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        </style>
        </head>
        <body>
        <main>
        {{$body}}{{/body}}
        </main>
        </body>
        </html>
        """

    /// The warning that demo mode is on at an address others can reach.
    static let demoBanner = """
        {{#demoWarning}}<p class="message" role="alert" id="demo-warning">Demo mode: this server shows sign-in codes on the page, so anyone can sign in with any e-mail address. Keep nothing private here.</p>{{/demoWarning}}
        """

    /// What the code step says: where the code went, or (demo mode) the code itself.
    static let codeIntro = """
        {{^demoCode}}<p>We sent a 5-character code to <b>{{{email}}}</b>. Check your e-mail; the code is valid for {{{codeMinutes}}} minutes.</p>{{/demoCode}}
        {{#demoCode}}<p class="demo">Demo mode: no e-mail is sent. The code for <b>{{{email}}}</b> is <span id="demo-code">{{{demoCode}}}</span>, valid for {{{codeMinutes}}} minutes.</p>{{/demoCode}}
        """

    /// The code input of the code step.
    static let codeField = """
        <label for="code">Code</label>
        <input type="text" class="code" id="code" name="code" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" maxlength="12" required autofocus>
        """

    /// The hidden fields every login form repeats: the CSRF token and the authorization request.
    private static let hidden = """
        <input type="hidden" name="csrf" value="{{{csrf}}}">
        {{#fields}}<input type="hidden" name="{{{name}}}" value="{{{value}}}">
        {{/fields}}
        """

    /// Login step 1: the e-mail address.
    static let email = """
        {{<layout}}{{$body}}
        <section class="card">
        \(demoBanner)
        <h1>Sign in</h1>
        <p><b>{{{clientName}}}</b> wants to use <b>{{{resourceName}}}</b>. Sign in with your e-mail address; we will send you a code.</p>
        {{#message}}<p class="message" role="alert">{{{message}}}</p>{{/message}}
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="step" value="email">
        \(hidden)
        <label for="email">E-mail address</label>
        <input type="email" id="email" name="email" value="{{{email}}}" autocomplete="email" required autofocus>
        <button type="submit">Send code</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    /// Login step 2: the code.
    static let code = """
        {{<layout}}{{$body}}
        <section class="card">
        \(demoBanner)
        <h1>Enter your code</h1>
        \(codeIntro)
        {{#message}}<p class="message" role="alert">{{{message}}}</p>{{/message}}
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="step" value="code">
        <input type="hidden" name="email" value="{{{email}}}">
        \(hidden)
        \(codeField)
        <button type="submit">Sign in</button>
        </form>
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="step" value="email">
        <input type="hidden" name="email" value="{{{email}}}">
        \(hidden)
        <button type="submit" class="secondary">Send a new code</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    /// Login step 3: approve or deny the client.
    static let consent = """
        {{<layout}}{{$body}}
        <section class="card">
        \(demoBanner)
        <h1>Allow access?</h1>
        <p><b>{{{clientName}}}</b> wants to:</p>
        <ul class="scopes">{{#scopes}}<li>{{{.}}}</li>{{/scopes}}</ul>
        <p>After you allow it, you are sent back to <b>{{{redirectHost}}}</b>.</p>
        {{#message}}<p class="message" role="alert">{{{message}}}</p>{{/message}}
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="step" value="consent">
        \(hidden)
        <div class="actions">
        <button type="submit" name="approve" value="no" class="secondary">Deny</button>
        <button type="submit" name="approve" value="yes">Allow</button>
        </div>
        </form>
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="step" value="switch">
        \(hidden)
        <p class="hint">Signed in as {{{email}}}. <button type="submit" class="link">Not you?</button></p>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    /// A problem that stops the sign-in.
    static let error = """
        {{<layout}}{{$body}}
        <section class="card">
        <h1>{{{heading}}}</h1>
        <p>{{{message}}}</p>
        </section>
        {{/body}}{{/layout}}
        """
}
