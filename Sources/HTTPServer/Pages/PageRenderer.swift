import Mustache

/// Renders the server's HTML pages from the templates in ``PageTemplates``.
///
/// Every page goes through ``render(_:title:values:)``, which escapes every text value with
/// ``HTMLEscaping`` before the template sees it.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    /// The names of the templates, each a page but `layout`.
    static let templates: [(name: String, template: String)] = [
        ("layout", PageTemplates.layout), ("setup", PageTemplates.setup), ("email", PageTemplates.email),
        ("code", PageTemplates.code), ("consent", PageTemplates.consent), ("error", PageTemplates.error),
    ]

    init() throws {
        var library = MustacheLibrary()
        for (name, template) in Self.templates { try library.register(template, named: name) }
        self.library = library
    }

    /// The page `name` with `values`; `title` names the browser tab.
    func render(_ name: String, title: String, values: [String: PageValue]) -> String {
        var values = values
        values["title"] = .text(title)
        return self.library.render(PageValue.object(values).escaped, withTemplate: name) ?? ""
    }
}
