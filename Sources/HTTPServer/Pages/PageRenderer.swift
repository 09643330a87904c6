import Mustache

/// Renders the server's HTML pages from the templates in ``PageTemplates``.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        try library.register(PageTemplates.layout, named: "layout")
        try library.register(PageTemplates.setup, named: "setup")
        try library.register(PageTemplates.email, named: "email")
        try library.register(PageTemplates.code, named: "code")
        try library.register(PageTemplates.consent, named: "consent")
        try library.register(PageTemplates.error, named: "error")
        self.library = library
    }

    /// The page `name` with `values`; `title` names the browser tab.
    func render(_ name: String, title: String, values: [String: Any]) -> String {
        var values = values
        values["title"] = title
        return self.library.render(values, withTemplate: name) ?? ""
    }
}
