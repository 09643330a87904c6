import Mustache

/// A page the authorization endpoint shows a person.
public enum SignInPage: Sendable {
    /// A step of the login flow: e-mail, code or consent.
    case step(AuthorizePage)
    /// A request that cannot go on and must not redirect anywhere (unknown client, unregistered
    /// redirect URI, a body too large).
    case error(title: String, message: String)
    /// A page of the account page: its sign-in, or the signed-in overview.
    case account(AccountPage)
}

/// Renders the sign-in pages as HTML.
///
/// ``MustachePageRenderer`` is the default. Supply your own to give the pages your look; it must
/// keep the form contract (field names `email`, `code`, `step`, `csrf`, the request's hidden fields
/// and the `approve` button; on the account page `action`, `email`, `code`, `client_id`,
/// `confirm` and `csrf`) and escape every value, for example with ``HTMLEscaping/escape(_:)``.
public protocol SignInPageRenderer: Sendable {
    /// The HTML of `page`.
    func render(_ page: SignInPage) -> String
}

/// The built-in pages, from Mustache templates compiled into the library.
///
/// Every page goes through ``render(_:title:values:)``, which escapes every text value with
/// ``HTMLEscaping`` before the template sees it. A host can register its own templates next to
/// the built-in ones (they may extend the shared `layout`) and render them the same way:
///
/// ```swift
/// let pages = try MustachePageRenderer(additionalTemplates: [("home", "{{<layout}}{{$body}}<h1>{{{name}}}</h1>{{/body}}{{/layout}}")])
/// let html = pages.render("home", title: "Home", values: ["name": .text(user.name)])
/// ```
public struct MustachePageRenderer: SignInPageRenderer {
    private let library: MustacheLibrary

    /// The built-in templates, each a page but `layout`.
    package static let templates: [(name: String, template: String)] = [
        ("layout", PageTemplates.layout), ("email", PageTemplates.email), ("code", PageTemplates.code),
        ("consent", PageTemplates.consent), ("error", PageTemplates.error), ("account-email", PageTemplates.accountEmail),
        ("account-code", PageTemplates.accountCode), ("account", PageTemplates.account),
    ]

    /// The built-in templates plus `additionalTemplates`, which print values with `{{{ }}}` (the
    /// values arrive escaped).
    public init(additionalTemplates: [(name: String, template: String)] = []) throws {
        var library = MustacheLibrary()
        for (name, template) in Self.templates + additionalTemplates { try library.register(template, named: name) }
        self.library = library
    }

    /// The page `name` with `values`; `title` names the browser tab.
    public func render(_ name: String, title: String, values: [String: PageValue]) -> String {
        var values = values
        values["title"] = .text(title)
        return self.library.render(PageValue.object(values).escaped, withTemplate: name) ?? ""
    }

    public func render(_ page: SignInPage) -> String {
        switch page {
        case .error(let title, let message):
            return self.render("error", title: title, values: ["heading": .text(title), "message": .text(message)])
        case .step(let page):
            let values: [String: PageValue] = [
                "formAction": .text(page.formAction),
                "clientName": .text(page.clientName),
                "resourceName": .text(page.resourceName),
                "redirectHost": .text(page.redirectHost),
                "scopes": .list(page.scopeDescriptions.map(PageValue.text)),
                "email": .text(page.email ?? ""),
                "demoCode": .optional(page.demoCode),
                "demoWarning": .flag(page.demoWarning),
                "codeMinutes": .text(String(page.codeLifetimeMinutes)),
                "message": .optional(page.message),
                "csrf": .text(page.csrfToken),
                "fields": .list(page.requestFields.map { .object(["name": .text($0.name), "value": .text($0.value)]) }),
            ]
            let title =
                switch page.step {
                case .email: "Sign in"
                case .code: "Enter your code"
                case .consent: "Allow access?"
                }
            return self.render(page.step.rawValue, title: title, values: values)
        case .account(let page):
            return self.render(page.step.rawValue, title: page.step == .overview ? "Your account" : "Sign in to your account", values: Self.values(of: page))
        }
    }

    private static func values(of page: AccountPage) -> [String: PageValue] {
        var values: [String: PageValue] = [
            "formAction": .text(page.formAction),
            "resourceName": .text(page.resourceName),
            "email": .text(page.email ?? ""),
            "codeMinutes": .text(String(page.codeLifetimeMinutes)),
            "demoWarning": .flag(page.demoWarning),
            "demoCode": .optional(page.demoCode),
            "message": .optional(page.message),
            "notice": .optional(page.notice),
            "csrf": .text(page.csrfToken),
            "apps": .list(
                page.apps.map { app in
                    .object([
                        "clientID": .text(app.clientID),
                        "name": .text(app.name),
                        "redirectHosts": .list(app.redirectHosts.map(PageValue.text)),
                        "scopes": .list(app.scopeDescriptions.map(PageValue.text)),
                        "firstAuthorized": .text(app.firstAuthorized),
                        "lastUsed": .text(app.lastUsed),
                        "isSignedIn": .flag(app.isSignedIn),
                    ])
                }
            ),
            "firstPageLink": .optional(page.firstPageLink),
            "nextPageLink": .optional(page.nextPageLink),
            "section": .flag(false),
        ]
        if let section = page.section {
            values["section"] = .object([
                "title": .text(section.title),
                "emptyText": .text(section.emptyText),
                "hasItems": .flag(!section.items.isEmpty),
                "items": .list(
                    section.items.map { item in
                        .object(["title": .text(item.title), "detail": .optional(item.detail), "isDone": .flag(item.isDone)])
                    }
                ),
            ])
        }
        return values
    }
}
