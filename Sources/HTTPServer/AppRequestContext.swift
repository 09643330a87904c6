public import HummingbirdEndpoints

/// The request context of every route: Hummingbird's core storage plus the peer's address, which
/// rate limits key on.
public typealias AppRequestContext = EndpointRequestContext
