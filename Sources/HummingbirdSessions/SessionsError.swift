// SessionsError: the HTTP failures of the sessions middleware, answered with a JSON `{"error": "..."}` body.

import Foundation
import Hummingbird
import SessionStore

/// A failure the sessions middleware answers itself: 403 for CSRF, 431 for oversized cookies, 503 when the
/// session store is unavailable (fail closed), and so on. The response body is JSON: `{"error": "<message>"}`.
public struct SessionsError: HTTPResponseError, CustomStringConvertible {
    /// The response status.
    public let status: HTTPResponse.Status
    /// What went wrong, for the client (never a token).
    public let message: String
    /// The store failure behind it, if any.
    public let storeError: SessionStoreError?

    /// Creates an error with a status and a message.
    public init(_ status: HTTPResponse.Status, _ message: String, storeError: SessionStoreError? = nil) {
        self.status = status
        self.message = message
        self.storeError = storeError
    }

    /// Maps a store failure: `.unavailable` → 503, `.conflict`/`.alreadyRotated` → 409, `.tooLarge` → 413,
    /// `.limitReached` → 429, `.notFound` → 401, `.invalidAttributeName` → 400, `.notANumber` → 422, anything
    /// else (a misconfiguration) → 500.
    public init(_ error: SessionStoreError) {
        let status: HTTPResponse.Status
        let message: String
        switch error.code {
        case .unavailable: (status, message) = (.serviceUnavailable, "session store unavailable")
        case .conflict, .alreadyRotated: (status, message) = (.conflict, "the session changed concurrently; retry")
        case .tooLarge: (status, message) = (.contentTooLarge, "session too large")
        case .limitReached: (status, message) = (.tooManyRequests, "too many sessions")
        case .notFound: (status, message) = (.unauthorized, "session ended")
        case .invalidAttributeName: (status, message) = (.badRequest, "invalid session attribute name")
        case .notANumber: (status, message) = (.unprocessableContent, "the session attribute does not hold an integer")
        default: (status, message) = (.internalServerError, "session error")
        }
        self.init(status, message, storeError: error)
    }

    public var description: String { "SessionsError(\(status.code)): \(message)" + (storeError.map { " (\($0))" } ?? "") }

    /// The JSON error response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The JSON error response, built without a request.
    func response() -> Response {
        struct Body: Encodable { let error: String }
        let bytes = (try? JSONEncoder().encode(Body(error: message))) ?? Data(#"{"error":"error"}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
