import EndpointCore
import Foundation
public import HTTPTypes

extension HTTPField.Name {
    /// The protocol revision of a request (both eras).
    public static let mcpProtocolVersion = HTTPField.Name("MCP-Protocol-Version")!
    /// The legacy session id.
    public static let mcpSessionID = HTTPField.Name("Mcp-Session-Id")!
    /// 2026-07-28: the JSON-RPC method, mirrored from the body.
    public static let mcpMethod = HTTPField.Name("Mcp-Method")!
    /// 2026-07-28: the tool, prompt or resource named in the body.
    public static let mcpName = HTTPField.Name("Mcp-Name")!
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
}

/// What `Accept` allows, as far as the MCP endpoint cares.
struct AcceptedMediaTypes {
    var json: Bool
    var eventStream: Bool

    init(_ header: String?) {
        guard let header, !header[...].trimmingHTTPWhitespace.isEmpty else {
            self.json = true
            self.eventStream = true
            return
        }
        var json = false
        var eventStream = false
        for range in header.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingHTTPWhitespace.lowercased() }
            // A media range with q=0 is one the client refuses.
            let refused = parts.dropFirst().contains { parameter in
                let pair = parameter.split(separator: "=", maxSplits: 1).map(\.trimmingHTTPWhitespace)
                return pair.count == 2 && pair[0] == "q" && Double(pair[1]) == 0
            }
            if refused { continue }
            switch parts.first {
            case "*/*": json = true; eventStream = true
            case "application/*", "application/json": json = true
            case "text/*", "text/event-stream": eventStream = true
            default: break
            }
        }
        self.json = json
        self.eventStream = eventStream
    }
}
