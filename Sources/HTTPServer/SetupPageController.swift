import Foundation
import HTTPTypes
import Hummingbird

/// The setup page that `GET /` shows browsers with the server's MCP URL and how to connect each client.
struct SetupPageController: Sendable {
    let configuration: ServerConfiguration
    let pages: PageRenderer

    init(configuration: ServerConfiguration, pages: PageRenderer) {
        self.configuration = configuration
        self.pages = pages
    }

    /// The page.
    func page() -> Response {
        let html = self.pages.render(
            "setup",
            title: "Todo MCP server",
            values: ["mcpURL": .text(self.configuration.mcpURL), "publicURL": .text(self.configuration.publicURL.absoluteString)]
        )
        return Response.html(html)
    }
}

extension Request {
    /// Whether the client asked for an HTML page: its `Accept` names `text/html`.
    var acceptsHTML: Bool {
        self.headers[values: .accept].contains { $0.lowercased().contains("text/html") }
    }
}

extension Response {
    /// An HTML page that may not be framed by another site and loads nothing from elsewhere.
    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                // No form-action: the consent form's redirect goes to the client's own (often custom-scheme) address.
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
                .xFrameOptions: "DENY",
                .xContentTypeOptions: "nosniff",
                .referrerPolicy: "no-referrer",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html))
        )
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
