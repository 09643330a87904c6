import HTTPTypes
import Hummingbird
import MCPCore
import NIOCore

/// Serves the MCP endpoint (`/`) by handing requests to ``MCPEndpoint`` and writing back its answers.
struct MCPController: Sendable {
    let endpoint: MCPEndpoint

    func addRoutes(to router: Router<AppRequestContext>, setupPage: SetupPageController) {
        router.post("/") { request, context in await self.respond(request, context: context) }
        router.delete("/") { request, context in await self.respond(request, context: context) }
        router.on("/", method: .options) { request, context in await self.respond(request, context: context) }
        router.get("/") { request, context in
            // Browsers get the setup page; an MCP client's GET goes to the endpoint.
            if request.acceptsHTML { return setupPage.page() }
            return await self.respond(request, context: context)
        }
    }

    private func respond(_ request: Request, context: AppRequestContext) async -> Response {
        let answer = await self.endpoint.handle(request.head, body: HummingbirdBody(body: request.body))
        return Response(
            status: answer.status,
            headers: answer.headerFields,
            body: answer.body.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }
}

/// A Hummingbird request body as the endpoint reads it.
private struct HummingbirdBody: MCPRequestBody {
    let body: RequestBody

    func collect(upTo maxBytes: Int) async throws -> [UInt8]? {
        var collected: [UInt8] = []
        for try await buffer in self.body {
            guard collected.count + buffer.readableBytes <= maxBytes else { return nil }
            collected.append(contentsOf: buffer.readableBytesView)
        }
        return collected
    }
}
