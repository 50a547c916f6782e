import Foundation
import Hummingbird
import Mustache

/// Renders the page's templates (swift-mustache) into HTML responses.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    init() {
        var library = MustacheLibrary()
        let templates: [(String, String)] = [
            ("header", LayoutTemplate.header), ("footer", LayoutTemplate.footer),
            ("signIn", SignInTemplate.text), ("error", ErrorTemplate.text),
            ("workflows", WorkflowsTemplate.text), ("triggerLine", WorkflowsTemplate.triggerLine),
            ("workflow", WorkflowTemplate.text), ("runsTable", WorkflowTemplate.runsTable),
            ("runs", RunsTemplate.text), ("run", RunTemplate.text), ("dataclip", RunTemplate.dataclip),
        ]
        for (name, text) in templates {
            // The templates are constants of this program: one that does not parse is a bug caught by every page test.
            do { try library.register(text, named: name) } catch { fatalError("page template \(name): \(error)") }
        }
        self.library = library
    }

    func html(_ template: String, _ context: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let text = library.render(context, withTemplate: template) ?? "template \(template) is missing"
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        // Pages show a token's data: never kept by a shared cache, never framed by another site.
        fields[.cacheControl] = "no-store"
        fields[.init("x-frame-options")!] = "DENY"
        fields[.init("content-security-policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        fields[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: fields)
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A refusal the page shows as a page, with its status.
struct PageError: Error {
    let status: HTTPResponse.Status
    let message: String

    static func notFound(_ what: String) -> PageError { PageError(status: .notFound, message: "\(what) does not exist") }
    static func badRequest(_ message: String) -> PageError { PageError(status: .badRequest, message: message) }
    static func forbidden(_ message: String) -> PageError { PageError(status: .forbidden, message: message) }
}
