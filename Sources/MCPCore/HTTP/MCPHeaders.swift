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
        self.json = MediaType.accepts(header, "application/json")
        self.eventStream = MediaType.accepts(header, "text/event-stream")
    }
}
