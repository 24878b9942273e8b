// JSONErrorMiddleware: turns every thrown error into a JSON `{"error": "..."}` response with a fitting status.

import Foundation
import Hummingbird
import HummingbirdSessions
import SessionStore

/// Answers errors thrown by handlers (and unmatched routes) with `{"error": "..."}`: the status of an
/// `HTTPResponseError`, 503/409/… for store failures, and 500 for anything else.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return Self.response(error.status, error.message)
        } catch let error as BearerTokenError {
            return error.response()
        } catch let error as SessionsError {
            return Self.response(error.status, error.message)
        } catch let error as SessionStoreError {
            let mapped = SessionsError(error)
            return Self.response(mapped.status, mapped.message)
        } catch let error as HTTPError {
            return Self.response(error.status, error.body ?? error.status.reasonPhrase.lowercased())
        } catch let error as any HTTPResponseError {
            return Self.response(error.status, error.status.reasonPhrase.lowercased())
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return Self.response(.internalServerError, "internal error")
        }
    }

    /// A JSON error response.
    static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let bytes = (try? JSONEncoder().encode(ErrorBody(error: message))) ?? Data(#"{"error":"error"}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
