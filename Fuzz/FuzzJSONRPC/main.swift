// libFuzzer target: JSON-RPC classification of every message of a body, single or batch.
// A refusal must name a JSON-RPC error code of the invalid-request family and render as JSON.
import FuzzSupport
import MCPCore

runFuzzer { data, size in
    guard let value = try? JSONValue.parse(input(data, size)) else { return 0 }
    let messages: [JSONValue]
    if case .array(let batch) = value { messages = batch } else { messages = [value] }
    for message in messages {
        do throws(IdentifiedError) {
            _ = try JSONRPCMessage.classify(message)
        } catch {
            let response = error.error.response(id: error.id)
            guard (try? JSONValue.parse(response.serialized())) == response else { fatalError("an error response does not round-trip") }
        }
    }
    return 0
}
