import Foundation
import OAuthKit
import PropertyBased
import Testing

/// Every value on every page is escaped per byte, so no Unicode around a `"` or `<` lets it through.
@Suite("Page escaping")
struct PageEscapingTests {
    /// The variables of each page, filled by `fill` (lists get two entries).
    static func values(of page: String, fill: (String) -> String) -> [String: PageValue] {
        let form: [String: PageValue] = [
            "csrf": .text(fill("csrf")),
            "fields": .list((0..<2).map { _ in .object(["name": .text(fill("name")), "value": .text(fill("value"))]) }),
        ]
        let values: [String: PageValue] =
            switch page {
            case "email":
                [
                    "clientName": .text(fill("clientName")), "resourceName": .text(fill("resourceName")), "email": .text(fill("email")),
                    "message": .text(fill("message")),
                ]
            case "code":
                [
                    "email": .text(fill("email")), "demoCode": .text(fill("demoCode")), "codeMinutes": .text(fill("codeMinutes")),
                    "message": .text(fill("message")),
                ]
            case "consent":
                [
                    "clientName": .text(fill("clientName")), "redirectHost": .text(fill("redirectHost")),
                    "scopes": .list([.text(fill("scope")), .text(fill("scope"))]), "email": .text(fill("email")),
                    "message": .text(fill("message")),
                ]
            default: ["heading": .text(fill("heading")), "message": .text(fill("message"))]
            }
        return values.merging(form) { first, _ in first }
    }

    static let pages = ["email", "code", "consent", "error"]
    static let markup: [UInt8] = Array("<>\"'".utf8)

    /// How often each markup byte occurs in `html`: values must add none.
    static func markupCounts(_ html: String) -> [Int] {
        Self.markup.map { byte in html.utf8.count(where: { $0 == byte }) }
    }

    @Test("Quotes and angle brackets fused with combining marks or format characters are escaped", arguments: pages)
    func fusedCharacters(page: String) throws {
        let renderer = try MustachePageRenderer()
        let plain = renderer.render(page, title: "t", values: Self.values(of: page) { _ in "x" })
        for hostile in [
            "\"\u{301}", "<\u{301}", "\u{600}\"", "\u{600}<", "a\"\u{301}onmouseover=alert(1)", "<\u{301}script>alert(1)</script>", "'\u{20DD}",
        ] {
            let html = renderer.render(page, title: hostile, values: Self.values(of: page) { _ in hostile })
            #expect(Self.markupCounts(html) == Self.markupCounts(plain), "\(page) with \(hostile.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(!html.contains("<\u{301}") && !html.contains("\"\u{301}") && !html.contains("\u{600}\""))
        }
    }

    @Test("Random Unicode around markup characters never adds markup, in any variable of any page")
    func randomUnicode() async throws {
        let renderer = try MustachePageRenderer()
        let special: [Unicode.Scalar] = ["\"", "<", ">", "'", "&", "\u{301}", "\u{600}", "\u{200D}", "\u{FE0F}", "\u{20DD}"]
        let scalar = Gen<Unicode.Scalar>.oneOf(
            Gen<Unicode.Scalar?>.element(of: special).map { $0! },
            Gen<UInt32>.value(in: 0...0x10FFFF).compactMap { Unicode.Scalar($0) }
        )
        let text = scalar.array(of: 0...12).map { scalars in
            var string = ""
            string.unicodeScalars.append(contentsOf: scalars)
            return string
        }
        await propertyCheck(count: 300, input: Gen<String?>.element(of: Self.pages).map { $0! }, text) { page, value in
            let plain = renderer.render(page, title: "t", values: Self.values(of: page) { _ in "x" })
            let html = renderer.render(page, title: value, values: Self.values(of: page) { _ in value })
            #expect(Self.markupCounts(html) == Self.markupCounts(plain))
        }
    }

    @Test("Templates print values only in the triple-brace form, since values arrive escaped")
    func templatesDoNotEscapeTwice() {
        for (name, template) in MustachePageRenderer.templates {
            let doubleBraced = template.replacing("{{{", with: "").matches(of: #/\{\{[A-Za-z.][A-Za-z0-9_.]*\}\}/#)
            #expect(doubleBraced.isEmpty, "\(name) uses {{value}}")
        }
        #expect(HTMLEscaping.escape(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        #expect(HTMLEscaping.escape("é\u{301}") == "é\u{301}")
    }
}
