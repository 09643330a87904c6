public import EndpointCore
public import HTTPTypes

/// The transport-neutral HTTP entry point: every status, header and body of the authorization
/// server's endpoints and pages is decided here, so a host server only routes ``routes`` to
/// ``handle(_:body:origin:)`` and writes back the answer.
extension AuthorizationServer: HTTPEndpoint {
    /// The paths and methods of the endpoints, following ``OAuthConfiguration/mountPath``.
    public var routes: [EndpointRoute] { self.paths.routes }

    /// Answers one request to a path of ``routes``; other paths get 404, other methods 405.
    public func handle(_ request: HTTPRequest, body: some EndpointRequestBody, origin: RequestOrigin) async -> EndpointResponse {
        let target = request.path ?? "/"
        let queryStart = target.firstIndex(of: "?")
        let path = target[..<(queryStart ?? target.endIndex)]
        guard let (route, endpoint) = self.paths.match(path) else {
            return .error(OAuthError(.invalidRequest, "There is no OAuth endpoint at this path.", status: .notFound))
        }
        guard endpoint.methods.contains(request.method) else {
            var response = EndpointResponse.error(
                OAuthError(.invalidRequest, "This endpoint does not answer \(request.method.rawValue).", status: .methodNotAllowed)
            )
            response.headerFields[.allow] = endpoint.methods.map(\.rawValue).joined(separator: ", ")
            return response
        }
        if request.method == .options { return .preflight }
        let contentType = request.headerFields[.contentType]
        let clientAddress = origin.clientAddress
        switch endpoint {
        case .protectedResourceMetadata:
            return self.protectedResourceMetadata()
        case .authorizationServerMetadata:
            return self.authorizationServerMetadata()
        case .registration, .token, .revocation:
            guard let bytes = try? await body.collect(upTo: self.configuration.maxBodyBytes) else {
                return .error(OAuthError(.invalidRequest, "The request body is too large.", status: .contentTooLarge))
            }
            switch endpoint {
            case .registration: return await self.register(body: bytes, contentType: contentType, clientAddress: clientAddress)
            case .token: return await self.token(body: bytes, contentType: contentType, clientAddress: clientAddress)
            default: return await self.revoke(body: bytes, contentType: contentType, clientAddress: clientAddress)
            }
        case .account:
            return await self.accountPage(
                request,
                query: queryStart.map { String(target[target.index(after: $0)...]) },
                body: body,
                clientAddress: clientAddress,
                path: route.path
            )
        case .authorization:
            let isPost = request.method == .post
            var formBody: [UInt8]?
            if isPost {
                guard let bytes = try? await body.collect(upTo: self.configuration.maxBodyBytes) else {
                    return self.response(for: .errorPage(title: "Request too large", message: "The form was too large.", status: .contentTooLarge), isPost: true)
                }
                formBody = bytes
            }
            let outcome = await self.authorize(
                query: queryStart.map { String(target[target.index(after: $0)...]) },
                formBody: formBody,
                cookieHeader: request.headerFields[.cookie],
                clientAddress: clientAddress,
                path: route.path
            )
            return self.response(for: outcome, isPost: isPost)
        }
    }

    /// The HTTP answer for a step of the login flow.
    func response(for outcome: AuthorizeOutcome, isPost: Bool) -> EndpointResponse {
        switch outcome {
        case .errorPage(let title, let message, let status):
            return .html(self.pages.render(.error(title: title, message: message)), status: status)
        case .redirect(let location, let cookies):
            var headers: HTTPFields = [.location: location, .cacheControl: "no-store", .referrerPolicy: "no-referrer"]
            for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie.headerValue)) }
            // 303 turns the form POST into a GET at the client's redirect URI.
            return EndpointResponse(status: isPost ? .seeOther : .found, headerFields: headers)
        case .page(let page, let cookies):
            var response = EndpointResponse.html(self.pages.render(.step(page)), status: page.status)
            for cookie in cookies { response.headerFields.append(HTTPField(name: .setCookie, value: cookie.headerValue)) }
            if let retryAfter = page.retryAfter { response.headerFields[.retryAfter] = String(retryAfter) }
            return response
        }
    }
}
