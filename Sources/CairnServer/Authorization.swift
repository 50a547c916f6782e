import Hummingbird

/// Bearer tokens scoped to a project. A request without a valid token gets
/// 401; a token may only touch its own project's runs, dataclips, triggers
/// and workflows (403 otherwise). With no tokens configured, everything is open.
struct Authorization: Sendable {
    let tokens: [String: String]

    var isOpen: Bool { tokens.isEmpty }

    /// The project the request's token belongs to; `nil` in open mode.
    func project(of request: Request) throws -> String? {
        if isOpen { return nil }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { throw APIError.unauthorized() }
        guard let project = tokens[String(header.dropFirst("Bearer ".count))] else { throw APIError.unauthorized() }
        return project
    }

    /// Checks that `owner` (the project of the thing asked for) is the token's.
    func check(_ request: Request, owner: String?, what: String) throws {
        guard let project = try project(of: request) else { return }
        guard let owner else { throw APIError.notFound(what) }
        if owner != project { throw APIError.forbidden(what) }
    }
}

/// Refuses every `/api/v1` request without a valid token (401) before any
/// route looks anything up, so a missing token never learns what exists.
struct TokenGate: RouterMiddleware {
    typealias Context = BasicRequestContext
    let auth: Authorization

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix("/api/v1") { _ = try auth.project(of: request) }
        return try await next(request, context)
    }
}
