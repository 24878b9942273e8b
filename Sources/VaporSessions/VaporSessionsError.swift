// VaporSessionsError: the HTTP failures of the Vapor sessions middleware and driver, with a JSON body.

import Foundation
import SessionStore
import Vapor

/// A failure the sessions middleware answers itself: 403 for CSRF, 431 for oversized cookies, 503 when the
/// session store is unavailable (fail closed), and so on. ``VaporSessionsMiddleware`` answers it with a JSON
/// `{"error": "<message>"}` body; thrown anywhere else it is a Vapor `AbortError`, so Vapor's `ErrorMiddleware`
/// gives it the same status (this is how ``SessionStoreDriver`` makes a store outage a 503 instead of a 500).
public struct VaporSessionsError: AbortError, CustomStringConvertible {
    /// The response status.
    public let status: HTTPResponseStatus
    /// What went wrong, for the client (never a token).
    public let message: String
    /// The store failure behind it, if any.
    public let storeError: SessionStoreError?

    /// Creates an error with a status and a message.
    public init(_ status: HTTPResponseStatus, _ message: String, storeError: SessionStoreError? = nil) {
        self.status = status
        self.message = message
        self.storeError = storeError
    }

    /// Maps a store failure: `.unavailable` → 503, `.conflict`/`.alreadyRotated` → 409, `.tooLarge` → 413,
    /// `.limitReached` → 429, `.notFound` → 401, `.invalidAttributeName` → 400, `.notANumber` → 422, anything
    /// else (a misconfiguration) → 500. The same mapping as the Hummingbird middleware's.
    public init(_ error: SessionStoreError) {
        let status: HTTPResponseStatus
        let message: String
        switch error.code {
        case .unavailable: (status, message) = (.serviceUnavailable, "session store unavailable")
        case .conflict, .alreadyRotated: (status, message) = (.conflict, "the session changed concurrently; retry")
        case .tooLarge: (status, message) = (.payloadTooLarge, "session too large")
        case .limitReached: (status, message) = (.tooManyRequests, "too many sessions")
        case .notFound: (status, message) = (.unauthorized, "session ended")
        case .invalidAttributeName: (status, message) = (.badRequest, "invalid session attribute name")
        case .notANumber: (status, message) = (.unprocessableEntity, "the session attribute does not hold an integer")
        default: (status, message) = (.internalServerError, "session error")
        }
        self.init(status, message, storeError: error)
    }

    /// `AbortError`: the message.
    public var reason: String { message }

    /// `AbortError`: a response about a session is never cached.
    public var headers: HTTPHeaders { ["Cache-Control": "no-store"] }

    /// The status, the message and the store failure (never a token).
    public var description: String { "VaporSessionsError(\(status.code)): \(message)" + (storeError.map { " (\($0))" } ?? "") }

    /// The JSON error response the middleware sends.
    func response() -> Response {
        Self.jsonResponse(status: status, message: message)
    }

    /// A `{"error": "<message>"}` response with `Cache-Control: no-store`.
    static func jsonResponse(status: HTTPResponseStatus, message: String, headers extra: HTTPHeaders = [:]) -> Response {
        struct Body: Encodable { let error: String }
        let bytes = (try? JSONEncoder().encode(Body(error: message))) ?? Data(#"{"error":"error"}"#.utf8)
        var headers = extra
        headers.replaceOrAdd(name: .contentType, value: "application/json; charset=utf-8")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: status, headers: headers, body: .init(data: bytes))
    }
}
