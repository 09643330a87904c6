import Mustache

/// A page the authorization endpoint shows a person.
public enum SignInPage: Sendable {
    /// A step of the login flow: e-mail, code or consent.
    case step(AuthorizePage)
    /// A request that cannot go on and must not redirect anywhere (unknown client, unregistered
    /// redirect URI, a body too large).
    case error(title: String, message: String)
}

/// Renders the sign-in pages as HTML.
///
/// ``MustachePageRenderer`` is the default. Supply your own to give the pages your look; it must
/// keep the form contract (field names `email`, `code`, `step`, `csrf`, the request's hidden fields
/// and the `approve` button) and escape every value, for example with ``HTMLEscaping/escape(_:)``.
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
        ("consent", PageTemplates.consent), ("error", PageTemplates.error),
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
        }
    }
}
