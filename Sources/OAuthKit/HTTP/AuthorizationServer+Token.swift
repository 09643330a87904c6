import EndpointCore
import Foundation
import HTTPTypes
import Logging

/// The token response (RFC 6749 §5.1).
struct TokenResponse: Encodable {
    var access_token: String
    var token_type = "Bearer"
    var expires_in: Int
    var refresh_token: String
    var scope: String
}

extension AuthorizationServer {
    // MARK: Token endpoint

    /// `POST /oauth/token`: the `authorization_code` and `refresh_token` grants.
    func token(body: [UInt8], contentType: String?, clientAddress: String) async -> EndpointResponse {
        guard Self.isForm(contentType) else {
            return .error(OAuthError(.invalidRequest, "Send the token request as application/x-www-form-urlencoded."))
        }
        let text = String(decoding: body, as: UTF8.self)
        if let repeated = FormData.duplicates(in: text).sorted().first {
            return .error(OAuthError(.invalidRequest, "The parameter \(repeated) appears more than once."))
        }
        let form = FormData.parse(text)
        guard let grantType = form["grant_type"], !grantType.isEmpty else {
            return .error(OAuthError(.invalidRequest, "grant_type is required."))
        }
        guard grantType == "authorization_code" || grantType == "refresh_token" else {
            return .error(OAuthError(.unsupportedGrantType, "grant_type must be authorization_code or refresh_token."))
        }
        do {
            if let wait = self.limiter.hit(
                RateLimits.perClient("token", clientAddress: clientAddress, qualifier: grantType, self.limits.token),
                now: self.environment.now()
            ) {
                // A grant that can never succeed says so, rather than inviting retries after the wait.
                if try await self.isTerminallyInvalid(grantType: grantType, form: form) {
                    return .error(OAuthError(.invalidGrant, "The grant is invalid, expired or already used."))
                }
                return .error(.tooManyRequests(retryAfter: wait))
            }
            let client = try await self.authenticateClient(form)
            let response =
                grantType == "authorization_code"
                ? try await self.redeemAuthorizationCode(form, client: client)
                : try await self.refresh(form, client: client)
            return .json(response)
        } catch let error as OAuthError {
            return .error(error)
        } catch {
            self.logger.error("Token request failed: \(error)")
            return .error(OAuthError(.serverError, "The token could not be issued.", status: .internalServerError))
        }
    }

    /// The public client named by `client_id`; an unknown one is 401 `invalid_client`, which tells
    /// clients holding a forgotten registration to register again.
    private func authenticateClient(_ form: [String: String]) async throws -> OAuthClient {
        guard let clientID = form["client_id"], !clientID.isEmpty else {
            throw OAuthError(.invalidRequest, "client_id is required.")
        }
        guard let client = try await self.registeredClient(clientID) else {
            throw OAuthError(.invalidClient, "The client is not registered with this server; register again.", status: .unauthorized)
        }
        return client
    }

    private func redeemAuthorizationCode(_ form: [String: String], client: OAuthClient) async throws -> TokenResponse {
        guard let code = form["code"], !code.isEmpty else { throw OAuthError(.invalidRequest, "code is required.") }
        guard let redirectURI = form["redirect_uri"], !redirectURI.isEmpty else {
            throw OAuthError(.invalidRequest, "redirect_uri is required and must repeat the one of the authorization request.")
        }
        guard let verifier = form["code_verifier"], !verifier.isEmpty else {
            throw OAuthError(.invalidRequest, "code_verifier is required (PKCE).")
        }
        let now = self.environment.now()
        let codeHash = sha256Hex(code)
        guard let stored = try await self.grants.code(hash: codeHash), stored.expiresAt > now else {
            throw OAuthError(.invalidGrant, "The authorization code is invalid or expired.")
        }
        // Everything is checked before the code is used up, so a wrong request does not burn it.
        guard stored.clientID == client.id else { throw OAuthError(.invalidGrant, "The authorization code was issued to another client.") }
        guard stored.redirectURI.utf8.elementsEqual(redirectURI.utf8) else {
            throw OAuthError(.invalidGrant, "redirect_uri differs from the one of the authorization request.")
        }
        guard PKCE.verify(verifier: verifier, challenge: stored.codeChallenge) else {
            throw OAuthError(.invalidGrant, "The code_verifier does not match the code_challenge.")
        }
        if let resource = form["resource"], !resource.isEmpty, !self.configuration.isResource(resource) {
            throw OAuthError(.invalidTarget, "resource must be \(self.configuration.resource).")
        }
        if let familyID = stored.familyID {
            // A second use of a code: revoke what the first use issued, access tokens included (RFC 6749 §4.1.2).
            try await self.revokeGrant(familyID, at: now)
            self.observer?.record(.codeReplayDetected)
            throw OAuthError(.invalidGrant, "The authorization code was already used.")
        }
        let (refreshToken, record) = self.newRefreshToken(
            familyID: "f_" + self.environment.randomToken(bytes: 12),
            client: client.id,
            subject: stored.subject,
            scopes: stored.scopes,
            now: now
        )
        guard try await self.grants.redeemCode(hash: codeHash, at: now, refreshToken: record) else {
            throw OAuthError(.invalidGrant, "The authorization code was already used, or its grant was withdrawn.")
        }
        self.observer?.record(.tokensIssued(grantType: "authorization_code"))
        return self.tokenResponse(subject: stored.subject, scopes: stored.scopes, grantID: record.familyID, refreshToken: refreshToken, now: now)
    }

    private func refresh(_ form: [String: String], client: OAuthClient) async throws -> TokenResponse {
        guard let presented = form["refresh_token"], !presented.isEmpty else {
            throw OAuthError(.invalidRequest, "refresh_token is required.")
        }
        if let resource = form["resource"], !resource.isEmpty, !self.configuration.isResource(resource) {
            throw OAuthError(.invalidTarget, "resource must be \(self.configuration.resource).")
        }
        let now = self.environment.now()
        let hash = sha256Hex(presented)
        // Scopes the server does not know (such as offline_access) are ignored, as at authorization;
        // a known scope that was never granted is an error, never a silent widening or narrowing.
        let requestedScopes = form["scope"].map { Scope.parse($0, known: self.configuration.supportedScopes).map(\.rawValue) }.flatMap { $0.isEmpty ? nil : $0 }
        if let requestedScopes, let stored = try await self.grants.refreshToken(hash: hash), stored.clientID == client.id,
            stored.revokedAt == nil, stored.rotatedAt == nil, stored.expiresAt > now,
            let missing = requestedScopes.first(where: { !stored.scopes.contains($0) })
        {
            throw OAuthError(.invalidScope, "The scope \(missing) was not granted to this refresh token.")
        }
        let grace = self.configuration.refreshGracePeriod
        let successorToken = "rt1_" + self.environment.randomToken()
        let decision = try await self.grants.exchangeRefreshToken(hash: hash, at: now) { stored, successor in
            guard let stored, stored.clientID == client.id, stored.revokedAt == nil, stored.expiresAt > now else { return .reject }
            if let rotatedAt = stored.rotatedAt {
                // Grace, for refreshes that crossed: only the token just replaced, only briefly, and
                // only while its replacement has not been used. Any other replay is theft.
                guard now.timeIntervalSince(rotatedAt) <= grace, let successor, successor.rotatedAt == nil, successor.revokedAt == nil
                else { return .revokeFamily(stored.familyID) }
            }
            let scopes = requestedScopes.map { requested in stored.scopes.filter(requested.contains) } ?? stored.scopes
            let successor = RefreshToken(
                tokenHash: sha256Hex(successorToken),
                familyID: stored.familyID,
                clientID: client.id,
                subject: stored.subject,
                resource: stored.resource,
                scopes: scopes,
                issuedAt: now,
                expiresAt: now.addingTimeInterval(self.configuration.refreshTokenLifetime),
                parentHash: stored.tokenHash
            )
            return .rotate(successor: successor)
        }
        switch decision {
        case .rotate(let successor):
            self.observer?.record(.tokensIssued(grantType: "refresh_token"))
            return self.tokenResponse(
                subject: successor.subject,
                scopes: successor.scopes,
                grantID: successor.familyID,
                refreshToken: successorToken,
                now: now
            )
        case .revokeFamily(let familyID):
            try await self.forgetAccessTokens(ofGrant: familyID, at: now)
            self.observer?.record(.refreshReuseDetected)
            self.logger.notice("A rotated refresh token was replayed; its grant is revoked", metadata: ["oauth.client": "\(client.id)"])
            throw OAuthError(.invalidGrant, "The refresh token was already used; sign in again.")
        case .reject:
            throw OAuthError(.invalidGrant, "The refresh token is invalid, expired or revoked.")
        }
    }

    /// Revokes the grant `familyID`: its refresh tokens and every access token issued from it.
    func revokeGrant(_ familyID: String, at now: Date) async throws {
        try await self.grants.revokeFamily(familyID, at: now)
        try await self.forgetAccessTokens(ofGrant: familyID, at: now)
    }

    /// Refuses every access token of the grant `familyID` until the last of them would have expired.
    private func forgetAccessTokens(ofGrant familyID: String, at now: Date) async throws {
        let until = now.addingTimeInterval(self.configuration.accessTokenLifetime)
        try await self.keys.revokeGrant(id: familyID, expiresAt: until)
        self.authority.revokeGrant(id: familyID, until: until, now: now)
    }

    /// Whether the grant in `form` could never succeed, judged without changing anything.
    private func isTerminallyInvalid(grantType: String, form: [String: String]) async throws -> Bool {
        let now = self.environment.now()
        if grantType == "authorization_code" {
            guard let code = form["code"], let stored = try await self.grants.code(hash: sha256Hex(code)) else { return true }
            return stored.expiresAt <= now || stored.familyID != nil
        }
        guard let token = form["refresh_token"], let stored = try await self.grants.refreshToken(hash: sha256Hex(token)) else { return true }
        return stored.revokedAt != nil || stored.expiresAt <= now
            || stored.rotatedAt.map { now.timeIntervalSince($0) > self.configuration.refreshGracePeriod } ?? false
    }

    private func newRefreshToken(familyID: String, client: String, subject: String, scopes: [String], now: Date) -> (String, RefreshToken) {
        let token = "rt1_" + self.environment.randomToken()
        let record = RefreshToken(
            tokenHash: sha256Hex(token),
            familyID: familyID,
            clientID: client,
            subject: subject,
            resource: self.configuration.resource,
            scopes: scopes,
            issuedAt: now,
            expiresAt: now.addingTimeInterval(self.configuration.refreshTokenLifetime)
        )
        return (token, record)
    }

    private func tokenResponse(subject: String, scopes: [String], grantID: String, refreshToken: String, now: Date) -> TokenResponse {
        let lifetime = Int(self.configuration.accessTokenLifetime)
        let accessToken = self.authority.sign(
            AccessTokenClaims(
                id: self.environment.randomToken(bytes: 12),
                subject: subject,
                audience: self.configuration.resource,
                scopes: scopes,
                expiresAt: Int64(now.timeIntervalSince1970) + Int64(lifetime),
                grantID: grantID
            )
        )
        return TokenResponse(access_token: accessToken, expires_in: lifetime, refresh_token: refreshToken, scope: scopes.joined(separator: " "))
    }

    // MARK: Revocation (RFC 7009)

    /// `POST /oauth/revoke`: revokes a refresh token (with its family) or an access token. Unknown
    /// tokens answer 200 as well, so the endpoint reveals nothing.
    func revoke(body: [UInt8], contentType: String?, clientAddress: String) async -> EndpointResponse {
        if let wait = self.limiter.hit(
            RateLimits.perClient("revoke", clientAddress: clientAddress, self.limits.revocation),
            now: self.environment.now()
        ) {
            return .error(.tooManyRequests(retryAfter: wait))
        }
        guard Self.isForm(contentType) else {
            return .error(OAuthError(.invalidRequest, "Send the revocation request as application/x-www-form-urlencoded."))
        }
        let form = FormData.parse(String(decoding: body, as: UTF8.self))
        guard let token = form["token"], !token.isEmpty else { return .error(OAuthError(.invalidRequest, "token is required.")) }
        let now = self.environment.now()
        do {
            if let claims = self.authority.claimsIgnoringExpiry(token) {
                let expiry = Date(timeIntervalSince1970: Double(claims.expiresAt))
                if expiry > now {
                    try await self.keys.revokeAccessToken(id: claims.id, expiresAt: expiry)
                    self.authority.revoke(id: claims.id, until: expiry, now: now)
                }
            } else if let stored = try await self.grants.refreshToken(hash: sha256Hex(token)), stored.revokedAt == nil {
                if form["client_id"].map({ $0 == stored.clientID }) ?? true {
                    try await self.revokeGrant(stored.familyID, at: now)
                }
            }
        } catch {
            self.logger.error("Revocation failed: \(error)")
            return .error(OAuthError(.serverError, "The token could not be revoked.", status: .internalServerError))
        }
        var response = EndpointResponse.json([String: String]())
        response.body = []
        response.headerFields[.contentType] = nil
        return response
    }
}
