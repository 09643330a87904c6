import HTTPTypes
import Logging

/// `resources/list`, `resources/templates/list` and `resources/read`, the same in both eras but
/// for the 2026-07-28 envelope and the code of a missing resource.
extension MCPEndpoint {

    /// The longest resource URI accepted.
    static let maxURIBytes = 2048

    func listResources(id: JSONRPCID, params: [String: JSONValue], principal: Principal, era: Era) async -> Reply {
        guard self.resources != nil || !self.appViews.isEmpty else {
            return self.failure(id, .methodNotFound, "Method not found: resources/list", status: era.notFoundStatus)
        }
        let cursor: String?
        switch params["cursor"] {
        case nil, .null?: cursor = nil
        case .string(let text)?: cursor = text
        default: return self.failure(id, .invalidParams, "params.cursor must be the nextCursor of the previous page, a string.")
        }
        // The app views lead the first page.
        var listed = cursor == nil ? self.appViews.map(\.listing) : []
        var nextCursor: String?
        if let resources = self.resources {
            if let refusal = self.scopeRefusal(needing: resources.requiredScopes, for: "Listing resources", principal) { return refusal.reply }
            do {
                let page = try await resources.list(cursor: cursor, principal: principal)
                listed += page.resources.map(\.json)
                nextCursor = page.nextCursor
            } catch let error as ResourceError {
                return self.failure(id, .invalidParams, error.message)
            } catch {
                self.logger.error("Listing resources failed: \(error)")
                return self.failure(id, .internalError, "The resources could not be listed. Try again later.")
            }
        } else if cursor != nil {
            return self.failure(id, .invalidParams, "Invalid cursor: resources/list has a single page; call it without a cursor.")
        }
        var result: [String: JSONValue] = ["resources": .array(listed)]
        if let nextCursor { result["nextCursor"] = .string(nextCursor) }
        // The list holds the person's own, changing data: private, and read again each time.
        return self.result(id, era == .modern ? self.cacheable(result, ttlMilliseconds: 0) : result, era: era)
    }

    func listResourceTemplates(id: JSONRPCID, params: [String: JSONValue], era: Era) -> Reply {
        guard self.resources != nil || !self.appViews.isEmpty else {
            return self.failure(id, .methodNotFound, "Method not found: resources/templates/list", status: era.notFoundStatus)
        }
        if let cursor = params["cursor"], cursor != .null {
            return self.failure(id, .invalidParams, "Invalid cursor: resources/templates/list has a single page; call it without a cursor.")
        }
        let templates: [String: JSONValue] = ["resourceTemplates": .array((self.resources?.templates ?? []).map(\.json))]
        return self.result(id, era == .modern ? self.cacheable(templates) : templates, era: era)
    }

    func readResource(id: JSONRPCID, params: [String: JSONValue], principal: Principal, era: Era) async -> Reply {
        guard self.resources != nil || !self.appViews.isEmpty else {
            return self.failure(id, .methodNotFound, "Method not found: resources/read", status: era.notFoundStatus)
        }
        guard case .string(let uri)? = params["uri"], !uri.isEmpty, uri.utf8.count <= Self.maxURIBytes else {
            return self.failure(id, .invalidParams, "params.uri must be the URI of a resource, at most \(Self.maxURIBytes) bytes.")
        }
        if let view = self.appView(answering: uri) {
            // The same document for every caller, changing only with the server.
            let result: [String: JSONValue] = ["contents": [view.contents(at: uri).json]]
            return self.result(id, era == .modern ? self.cacheable(result, shared: true) : result, era: era)
        }
        guard let resources = self.resources else { return self.resourceNotFound(id: id, uri: uri, era: era) }
        if let refusal = self.scopeRefusal(needing: resources.requiredScopes, for: "Reading resources", principal) { return refusal.reply }
        do {
            guard let contents = try await resources.read(uri: uri, principal: principal), !contents.isEmpty else {
                return self.resourceNotFound(id: id, uri: uri, era: era)
            }
            let result: [String: JSONValue] = ["contents": .array(contents.map(\.json))]
            return self.result(id, era == .modern ? self.cacheable(result, ttlMilliseconds: 0) : result, era: era)
        } catch let error as ResourceError {
            return self.failure(id, .invalidParams, error.message, data: ["uri": .string(uri)])
        } catch {
            self.logger.error("Reading a resource failed: \(error)")
            return self.failure(id, .internalError, "The resource could not be read. Try again later.")
        }
    }

    /// The app view `uri` names, if any.
    func appView(answering uri: String) -> AppView? {
        self.appViews.first { $0.answers(uri) }
    }

    /// No resource at `uri`: 2026-07-28 moved this to -32602; 2025-11-25 used -32002.
    private func resourceNotFound(id: JSONRPCID, uri: String, era: Era) -> Reply {
        self.failure(
            id,
            era == .modern ? .invalidParams : .resourceNotFound,
            "Resource not found: \(uri). Call resources/list for the resources you can read.",
            data: ["uri": .string(uri)]
        )
    }

    /// The 403 challenge when `principal` lacks one of `scopes`; `what` names the operation.
    func scopeRefusal(needing scopes: [String], for what: String, _ principal: Principal) -> Challenge? {
        let missing = scopes.filter { !principal.scopes.contains($0) }
        guard !missing.isEmpty else { return nil }
        return Challenge.insufficientScope(
            scope: principal.scopes.union(scopes).sorted().joined(separator: " "),
            description: "\(what) needs the scope \(missing.joined(separator: " ")).",
            resourceMetadataURL: self.configuration.resourceMetadataURL
        )
    }
}

extension Era {
    /// The HTTP status of an unknown method: 404 in 2026-07-28, 200 with the error before.
    var notFoundStatus: HTTPResponse.Status { self == .modern ? .notFound : .ok }
}

extension JSONRPCErrorCode {
    /// MCP 2025-11-25 and earlier: no resource has the URI read.
    static let resourceNotFound = JSONRPCErrorCode(rawValue: -32002)
}
