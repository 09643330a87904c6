import EndpointCore
import HTTPTypes

/// A refusal on authorization grounds, with its RFC 6750 challenge.
struct Challenge: Error {
    var status: HTTPResponse.Status
    var wwwAuthenticate: String
    var error: String
    var description: String

    static func unauthorized(error: String?, description: String, resourceMetadataURL: String) -> Challenge {
        var parameters = ["resource_metadata=\"\(resourceMetadataURL)\""]
        if let error { parameters += ["error=\"\(error)\"", "error_description=\"\(description)\""] }
        return Challenge(
            status: .unauthorized,
            wwwAuthenticate: "Bearer " + parameters.joined(separator: ", "),
            error: error ?? "invalid_request",
            description: description
        )
    }

    static func insufficientScope(scope: String, description: String, resourceMetadataURL: String) -> Challenge {
        Challenge(
            status: .forbidden,
            wwwAuthenticate:
                "Bearer error=\"insufficient_scope\", scope=\"\(scope)\", resource_metadata=\"\(resourceMetadataURL)\", error_description=\"\(description)\"",
            error: "insufficient_scope",
            description: description
        )
    }

    private var body: [UInt8] { JSONValue.object(["error": .string(self.error), "error_description": .string(self.description)]).serialized() }

    var reply: Reply { .message(self.body, status: self.status, headers: [.wwwAuthenticate: self.wwwAuthenticate]) }

    var response: EndpointResponse {
        EndpointResponse(
            status: self.status,
            headerFields: [.contentType: "application/json", .cacheControl: "no-store", .wwwAuthenticate: self.wwwAuthenticate],
            body: self.body
        )
    }
}
