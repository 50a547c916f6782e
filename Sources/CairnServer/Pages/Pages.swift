import CairnKit
import Foundation
import Hummingbird
import LMDB
import Logging

/// The web page at `/` (docs/page.md): server-rendered HTML for editors
/// and viewers signed in with their token, with the JSON API's
/// authorization. Registered by `makeApplication` beside the API (its
/// routes are not the API's: not in /openapi.json).
func addPages(to router: Router<BasicRequestContext>, store: Store, hub: DocumentHub, limits: RequestLimits, metrics: ServerMetrics? = nil) {
    let pages = Pages(store: store, hub: hub, limits: limits, metrics: metrics)
    router.get("/assets/page.css") { _, _ in PageRenderer.asset(PageAssets.css, type: "text/css; charset=utf-8") }
    router.get("/assets/page.js") { _, _ in PageRenderer.asset(PageAssets.js, type: "text/javascript; charset=utf-8") }
    router.get("/login") { request, context in await pages.answer(request, context) { try pages.signInForm(request) } }
    router.post("/login") { request, context in await pages.answer(request, context) { try await pages.signIn(request) } }
    router.post("/logout") { request, context in await pages.answer(request, context) { try await pages.signOut(request) } }
    router.get("/") { request, context in
        await pages.answer(request, context) { try pages.signedIn(request) { try pages.renderer.html("workflows", pages.views.workflows($0)) } }
    }
    router.get("/workflows/:id") { request, context in
        await pages.answer(request, context) {
            let id = try context.parameters.decoded("id")
            return try pages.signedIn(request) { try pages.workflowPage(id, $0, request: request) }
        }
    }
    router.get("/workflows/:id/runs") { request, context in
        await pages.answer(request, context) {
            let id = try context.parameters.decoded("id")
            let before = request.uri.queryParameters["before"].map(String.init)
            return try pages.signedIn(request) { try pages.renderer.html("runs", pages.views.runsPage(id, before: before, $0)) }
        }
    }
    router.get("/runs/:id") { request, context in
        await pages.answer(request, context) {
            let id = try context.parameters.decoded("id")
            return try pages.signedIn(request) { try pages.renderer.html("run", pages.views.run(id, $0)) }
        }
    }
    router.post("/workflows/:id/triggers/:trigger/cursor") { request, context in
        await pages.answer(request, context) {
            try await pages.chooseCronInput(
                request, workflowId: try context.parameters.decoded("id"), triggerId: try context.parameters.decoded("trigger"))
        }
    }
    router.post("/workflows/:id/triggers/:trigger/run") { request, context in
        await pages.answer(request, context) {
            try await pages.runNow(
                request, workflowId: try context.parameters.decoded("id"), triggerId: try context.parameters.decoded("trigger"))
        }
    }
}

/// The page's handlers; each answers HTML, its refusals included.
struct Pages: Sendable {
    let store: Store
    let hub: DocumentHub
    let limits: RequestLimits
    let session: PageSession
    let renderer = PageRenderer()
    var views: PageViews { PageViews(store: store) }

    init(store: Store, hub: DocumentHub, limits: RequestLimits, metrics: ServerMetrics?) {
        self.store = store
        self.hub = hub
        self.limits = limits
        session = PageSession(store: store, auth: Authorization(store: store, rejected: { metrics?.tokenRejected($0) }))
    }

    /// Runs `body`, answering its refusals as a page with their status; the
    /// store's failures get the statuses the API gives them (docs/http.md).
    func answer(_ request: Request, _ context: BasicRequestContext, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as PageError {
            return errorPage(request, status: error.status, message: error.message)
        } catch let error as APIError {
            return errorPage(request, status: error.status, message: error.message)
        } catch let error as LMDBError where error.isStoreFull {
            context.logger.error("\(request.method.rawValue) \(request.uri.path): \(error)")
            return errorPage(request, status: .init(code: 507, reasonPhrase: "Insufficient Storage"), message: error.description)
        } catch let error as LMDBError where error == .readersFull || error.isIOError {
            context.logger.error("\(request.method.rawValue) \(request.uri.path): \(error)")
            return errorPage(request, status: .serviceUnavailable, message: error.description)
        } catch {
            context.logger.error("\(request.method.rawValue) \(request.uri.path): \(error)")
            return errorPage(request, status: .internalServerError, message: "internal error (see the server's log)")
        }
    }

    func errorPage(_ request: Request, status: HTTPResponse.Status, message: String) -> Response {
        var context = PageViews.base((try? session.viewer(request)) ?? nil, title: "\(status.code)")
        context["status"] = "\(status.code) \(status.reasonPhrase)"
        context["message"] = message
        return renderer.html("error", context, status: status)
    }

    /// `body` for a signed-in viewer; otherwise to the sign-in form.
    func signedIn(_ request: Request, _ body: (PageViewer) throws -> Response) throws -> Response {
        guard let viewer = try session.viewer(request) else { return PageRenderer.redirect("/login") }
        return try body(viewer)
    }

    // MARK: Signing in

    func signInForm(_ request: Request, status: HTTPResponse.Status = .ok, problem: String? = nil) throws -> Response {
        if try !store.hasTokens() {
            var context = PageViews.base(try session.viewer(request), title: "Sign in")
            context["open"] = true
            return renderer.html("signIn", context, status: status)
        }
        var headers: HTTPFields = [:]
        var pre = PageSession.cookie(request, PageSession.preSessionCookie) ?? ""
        if pre.isEmpty {
            pre = PageSession.newPreSession()
            headers[.setCookie] = PageSession.preSessionCookieHeader(pre, secure: PageSession.reachedOverHTTPS(request))
        }
        var context = PageViews.base(nil, title: "Sign in")
        context["csrf"] = session.csrfToken(for: pre)
        context["open"] = false
        if let problem { context["problem"] = problem }
        return renderer.html("signIn", context, status: status, headers: headers)
    }

    func signIn(_ request: Request) async throws -> Response {
        let form = try await PageForm.read(request)
        guard try store.hasTokens() else {
            throw PageError.forbidden("this server has no tokens: there is nothing to sign in with (make one with cairn token create)")
        }
        guard session.csrfMatches(form["csrf"], session: PageSession.cookie(request, PageSession.preSessionCookie)) else {
            throw PageError.forbidden("the form's CSRF token is missing or wrong: reload the sign-in page and try again")
        }
        let secret = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard PageSession.isCookieSafe(secret), let caller = try session.caller(secret: secret, request) else {
            return try signInForm(request, status: .unauthorized, problem: "that token is unknown, expired or revoked")
        }
        guard caller.role != .worker else {
            return try signInForm(request, status: .forbidden, problem: "a worker token cannot sign in: the page is for editors and viewers")
        }
        return PageRenderer.redirect(
            "/", headers: [.setCookie: PageSession.sessionCookieHeader(secret, secure: PageSession.reachedOverHTTPS(request))])
    }

    func signOut(_ request: Request) async throws -> Response {
        let form = try await PageForm.read(request)
        let bound = PageSession.cookie(request, PageSession.sessionCookie) ?? PageSession.cookie(request, PageSession.preSessionCookie)
        guard session.csrfMatches(form["csrf"], session: bound) else {
            throw PageError.forbidden("the form's CSRF token is missing or wrong: reload the page and try again")
        }
        return PageRenderer.redirect(
            "/login", headers: [.setCookie: PageSession.clearedSessionCookieHeader(secure: PageSession.reachedOverHTTPS(request))])
    }

    // MARK: Forms

    /// The viewer of a form post, which must be signed in, carry its CSRF
    /// token and be an editor's (a viewer changes nothing).
    func editor(_ request: Request, _ form: PageForm) throws -> PageViewer {
        guard let viewer = try session.viewer(request) else {
            throw PageError(status: .unauthorized, message: "sign in first: this needs an editor's token")
        }
        guard session.csrfMatches(form["csrf"], session: viewer.open ? nil : PageSession.cookie(request, PageSession.sessionCookie)) else {
            throw PageError.forbidden(
                viewer.open
                    ? "this server has no tokens: the page is read-only (make an editor token with cairn token create, and sign in)"
                    : "the form's CSRF token is missing or wrong: reload the page and try again")
        }
        guard viewer.mayEdit else {
            throw PageError.forbidden("this needs a token of role editor; this token's role is \(viewer.role.rawValue): a viewer changes nothing")
        }
        return viewer
    }

    func workflowPage(_ id: String, _ viewer: PageViewer, request: Request, status: HTTPResponse.Status = .ok, problem: String? = nil) throws -> Response {
        var context = try views.workflow(id, viewer)
        if let problem { context["problem"] = problem }
        let query = request.uri.queryParameters
        let version = context["lockVersion"] as? String ?? "?"
        switch query["saved"] {
        case "published-only":
            context["notice"] =
                "Cron input source published as version \(version): the version before it with only this choice changed. The document was left as it is: it does not have this trigger or job (it lags a version published through the API or cairn workflow publish, or an editor removed it there)."
        case .some:
            context["notice"] =
                "Cron input source saved in the document and published as version \(version): the version before it with only this choice changed. Other changes in the document are not published."
        case nil: break
        }
        if let created = query["created"].map(String.init), let run = try store.currentRun(created), run.workflowId == id {
            context["notice"] = "Run \(created) created with input \(run.inputDataclipId)."
        }
        return renderer.html("workflow", context, status: status)
    }

    func chooseCronInput(_ request: Request, workflowId: String, triggerId: String) async throws -> Response {
        let form = try await PageForm.read(request)
        let viewer = try editor(request, form)
        let published = try views.visibleWorkflow(workflowId, viewer)
        guard let field = form["job_id"] else { throw PageError.badRequest("job_id: the form has no cron input source") }
        let jobId = field.isEmpty ? nil : field
        do {
            let outcome = try await CronInputChoice(store: store, hub: hub).choose(
                workflowId: workflowId, triggerId: triggerId, jobId: jobId, published: published, viewer: viewer)
            switch outcome {
            case .published(_, let documentLeft):
                // The notice is chosen by the query (the page after a redirect has no other state).
                let saved = documentLeft == nil ? "1" : "published-only"
                return PageRenderer.redirect("/workflows/\(PageViews.pathSegment(workflowId))?saved=\(saved)")
            case .notPublished(let why):
                return try workflowPage(
                    workflowId, viewer, request: request, status: .unprocessableContent,
                    problem: "Saved in the document, but it does not publish, so the scheduler keeps the published choice: \(why)")
            }
        } catch let error as PageError where error.status != .forbidden {
            return try workflowPage(workflowId, viewer, request: request, status: error.status, problem: error.message)
        }
    }

    func runNow(_ request: Request, workflowId: String, triggerId: String) async throws -> Response {
        let form = try await PageForm.read(request)
        let viewer = try editor(request, form)
        _ = try views.visibleSnapshot(workflowId, viewer)
        guard let trigger = try store.trigger(triggerId), trigger.workflowId == workflowId, trigger.isCron,
            viewer.project == nil || trigger.projectId == viewer.project
        else { throw PageError.notFound("cron trigger \(triggerId) of workflow \(workflowId)") }
        do {
            let runId = try await RunNow(store: store, limits: limits).run(trigger: trigger, expected: form["expected"])
            return PageRenderer.redirect("/workflows/\(PageViews.pathSegment(workflowId))?created=\(PageViews.pathSegment(runId))")
        } catch let error as PageError {
            return try workflowPage(workflowId, viewer, request: request, status: error.status, problem: error.message)
        }
    }
}
