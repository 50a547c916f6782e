import Hummingbird
import JSON

/// An error a handler returns as a JSON body with its HTTP status.
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let field: String?
    let message: String

    static func unauthorized() -> APIError {
        APIError(status: .unauthorized, field: nil, message: "a valid bearer token is required")
    }
    static func forbidden(_ what: String) -> APIError {
        APIError(status: .forbidden, field: nil, message: "this token's project may not access \(what)")
    }
    static func notFound(_ what: String) -> APIError { APIError(status: .notFound, field: nil, message: "\(what) does not exist") }
    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(status: .badRequest, field: field, message: message)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var members: [(key: String, value: JSONValue)] = [("message", .string(message))]
        if let field { members.insert(("field", .string(field)), at: 0) }
        return JSONResponse.make(.object([("error", .object(members))]), status: status)
    }
}

enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let bytes = value.serialized()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
