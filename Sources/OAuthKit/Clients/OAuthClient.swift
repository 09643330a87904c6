public import Foundation

/// A registered client.
public struct OAuthClient: Hashable, Sendable {
    /// The client's id: random for dynamically registered clients, the document URL for metadata-document clients.
    public var id: String
    /// The name shown on the consent page.
    public var name: String
    /// Where codes may be sent; an authorization request must name one of them (compared byte for byte; only the port of a loopback redirect may vary).
    public var redirectURIs: [String]
    /// When the client registered, or a metadata-document client's document was last fetched; cleanup counts from it.
    public var createdAt: Date

    /// Makes a client record.
    public init(id: String, name: String, redirectURIs: [String], createdAt: Date) {
        self.id = id
        self.name = name
        self.redirectURIs = redirectURIs
        self.createdAt = createdAt
    }
}

/// The metadata of a dynamic registration (RFC 7591 §2), as far as this server uses it. Unknown
/// fields are tolerated and ignored.
struct RegistrationRequest: Decodable {
    var redirect_uris: [String]?
    var client_name: String?
    var token_endpoint_auth_method: String?
    var grant_types: [String]?
    var response_types: [String]?
    var scope: String?
}

/// The registration response (RFC 7591 §3.2.1).
struct RegistrationResponse: Encodable {
    var client_id: String
    var client_id_issued_at: Int64
    var client_name: String
    var redirect_uris: [String]
    var grant_types: [String]
    var response_types: [String]
    var token_endpoint_auth_method: String
    var scope: String
}
