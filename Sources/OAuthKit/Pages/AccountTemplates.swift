/// The account page's templates. Like the sign-in pages they extend `layout`, and every value
/// arrives escaped (``HTMLEscaping``), so values print with `{{{value}}}`.
extension PageTemplates {
    /// What every form of the account page sends back.
    private static let accountCSRF = #"<input type="hidden" name="csrf" value="{{{csrf}}}">"#

    private static let notices = """
        {{#notice}}<p class="notice" role="status" id="notice">{{{notice}}}</p>{{/notice}}
        {{#message}}<p class="message" role="alert">{{{message}}}</p>{{/message}}
        """

    /// Account sign-in, step 1: the e-mail address.
    static let accountEmail = """
        {{<layout}}{{$body}}
        <section class="card">
        \(demoBanner)
        <h1>Your account</h1>
        <p>Sign in to see which apps you connected to <b>{{{resourceName}}}</b> and what they can do, to disconnect them, and to download or delete your data. We will e-mail you a code.</p>
        \(notices)
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="action" value="email">
        \(accountCSRF)
        <label for="email">E-mail address</label>
        <input type="email" id="email" name="email" value="{{{email}}}" autocomplete="email" required autofocus>
        <button type="submit">Send code</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    /// Account sign-in, step 2: the code.
    static let accountCode = """
        {{<layout}}{{$body}}
        <section class="card">
        \(demoBanner)
        <h1>Enter your code</h1>
        \(codeIntro)
        \(notices)
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="action" value="code">
        <input type="hidden" name="email" value="{{{email}}}">
        \(accountCSRF)
        \(codeField)
        <button type="submit">Sign in</button>
        </form>
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="action" value="email">
        <input type="hidden" name="email" value="{{{email}}}">
        \(accountCSRF)
        <button type="submit" class="secondary">Send a new code</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    /// The signed-in account page.
    static let account = """
        {{<layout}}{{$body}}
        \(demoBanner)
        <div class="bar">
        <h1>Your account</h1>
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="action" value="signout">
        \(accountCSRF)
        <button type="submit" class="link" id="sign-out">Sign out</button>
        </form>
        </div>
        <p class="lead">Signed in as <b id="account-email">{{{email}}}</b> to {{{resourceName}}}.</p>
        \(notices)

        <section aria-labelledby="apps-heading" id="apps">
        <h2 id="apps-heading">Connected apps</h2>
        {{#apps}}
        <article class="app" aria-label="{{{name}}}">
        <h3>{{{name}}}</h3>
        <p class="hint">Sends you back to {{#redirectHosts}}<b>{{{.}}}</b> {{/redirectHosts}}</p>
        <ul class="scopes">{{#scopes}}<li>{{{.}}}</li>{{/scopes}}</ul>
        <dl class="facts"><dt>First authorized</dt><dd>{{{firstAuthorized}}}</dd><dt>Last used</dt><dd>{{{lastUsed}}}</dd></dl>
        {{^isSignedIn}}<p class="hint">Signed out: it must ask you to sign in again before it can reach your data.</p>{{/isSignedIn}}
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="action" value="disconnect">
        <input type="hidden" name="client_id" value="{{{clientID}}}">
        \(accountCSRF)
        <button type="submit" class="secondary" aria-label="Disconnect {{{name}}}">Disconnect</button>
        </form>
        </article>
        {{/apps}}
        {{^apps}}<p id="no-apps">No apps are connected.</p>{{/apps}}
        <p class="hint">Disconnecting ends the app's access at once; to connect it again, you sign in and approve it again.</p>
        </section>

        {{#section}}
        <section aria-labelledby="data-heading" id="data">
        <h2 id="data-heading">{{{title}}}</h2>
        {{#hasItems}}<ul class="items">{{/hasItems}}
        {{#items}}<li{{#isDone}} class="done"{{/isDone}}><span class="title">{{#isDone}}<span class="sr">Done: </span>{{/isDone}}{{{title}}}</span>{{#detail}}<span class="hint">{{{detail}}}</span>{{/detail}}</li>
        {{/items}}
        {{#hasItems}}</ul>{{/hasItems}}
        {{^hasItems}}<p>{{{emptyText}}}</p>{{/hasItems}}
        <nav class="pages" aria-label="Pages">{{#firstPageLink}}<a href="{{{firstPageLink}}}">Newest</a>{{/firstPageLink}}{{#nextPageLink}}<a href="{{{nextPageLink}}}" id="older">Older</a>{{/nextPageLink}}</nav>
        </section>
        {{/section}}

        <section aria-labelledby="manage-heading">
        <h2 id="manage-heading">Your data and sessions</h2>
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="action" value="download">
        \(accountCSRF)
        <button type="submit" class="secondary" id="download">Download my data</button>
        </form>
        <p class="hint">A JSON file with your account, your connected apps and everything you keep here.</p>
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="action" value="signout-everywhere">
        \(accountCSRF)
        <button type="submit" class="secondary" id="sign-out-everywhere">Sign out everywhere</button>
        </form>
        <p class="hint">Signs out every browser, and every connected app must sign in again. Your apps stay approved.</p>
        </section>

        <section aria-labelledby="delete-heading" class="danger">
        <h2 id="delete-heading">Delete my account</h2>
        <p>This deletes everything this server keeps about you: your data, your connected apps and your e-mail address. It cannot be undone.</p>
        <form method="post" action="{{{formAction}}}">
        <input type="hidden" name="action" value="delete">
        \(accountCSRF)
        <label for="confirm">To confirm, type your e-mail address</label>
        <input type="text" id="confirm" name="confirm" autocomplete="off" autocapitalize="none" spellcheck="false" required>
        <button type="submit" class="destructive" id="delete">Delete my account</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """
}
