// APIError: a handler failure answered with `{"error": "..."}` and its status, even inside the sessions middleware.

import Hummingbird

/// An error a route throws: its response is the JSON error body (the sessions middleware renders
/// `HTTPResponseError`s itself, so the body must come from the error, not from an outer middleware).
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, message: String) {
        self.status = status
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONErrorMiddleware<BasicRequestContext>.response(status, message)
    }
}
