// BearerTokenMiddleware: verifies `Authorization: Bearer` access tokens and hands handlers the claims.

import Hummingbird
import SessionTokens

/// Middleware that verifies the request's access token with a ``TokenService`` (no store round trip) and puts
/// its claims in ``BearerTokenRequestContext/accessToken``.
///
/// - No `Authorization` header: 401 with `WWW-Authenticate: Bearer` when the token is required; else the handler
///   runs without claims.
/// - A header that is not exactly one `Bearer <token>`, or a token that fails verification (signature, algorithm,
///   `kid`, issuer, audience, times, size, a revoked family): 401 with `WWW-Authenticate: Bearer
///   error="invalid_token"` and `{"error":"invalid_token"}`; never a 500.
/// - A revocation list that cannot be kept current (Redis down): 503, fail closed.
///
/// ```swift
/// let api = router.group("api").add(middleware: BearerTokenMiddleware<AppContext>(tokens: tokens))
/// api.get("me") { _, context in try context.requireAccessToken().subject }
/// ```
public struct BearerTokenMiddleware<Context: BearerTokenRequestContext>: RouterMiddleware {
    let tokens: TokenService
    let required: Bool

    /// Creates the middleware.
    /// - Parameters:
    ///   - tokens: verifies the tokens.
    ///   - required: when `true` (the default), a request without a token is refused with 401.
    public init(tokens: TokenService, required: Bool = true) {
        self.tokens = tokens
        self.required = required
    }

    /// Handles one request.
    public func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let values = request.headers[values: .authorization]
        guard !values.isEmpty else {
            if required { return BearerTokenError.missing.response() }
            return try await next(request, context)
        }
        guard values.count == 1, let token = Self.bearerToken(values[0]) else { return BearerTokenError.invalid.response() }
        var context = context
        do {
            context.accessToken = try tokens.verify(token)
        } catch {
            switch error {
            case .unavailable: return BearerTokenError.unavailable.response()
            default:
                context.logger.debug("access token refused", metadata: ["reason": "\(error)"])
                return BearerTokenError.invalid.response()
            }
        }
        return try await next(request, context)
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, one space, a non-empty token), else `nil`. The
    /// token's characters are the codec's to judge: it refuses anything outside base64url and `.`.
    static func bearerToken(_ value: String) -> Substring? {
        let scheme = "bearer ".utf8
        guard value.utf8.count > scheme.count, zip(value.utf8, scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        return Substring(value).dropFirst(scheme.count)
    }
}

/// The answers of ``BearerTokenMiddleware``: 401 with a `WWW-Authenticate` challenge (RFC 6750 §3), or 503.
public enum BearerTokenError: HTTPResponseError, Sendable {
    /// No token: `WWW-Authenticate: Bearer`.
    case missing
    /// A malformed, invalid, expired or revoked token: `WWW-Authenticate: Bearer error="invalid_token"`.
    case invalid
    /// The revocation state cannot be vouched for: 503.
    case unavailable

    public var status: HTTPResponse.Status {
        self == .unavailable ? .serviceUnavailable : .unauthorized
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response { response() }

    /// The response, built without a request.
    public func response() -> Response {
        let body: String
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        switch self {
        case .missing:
            headers[.wwwAuthenticate] = "Bearer"
            body = #"{"error":"missing bearer token"}"#
        case .invalid:
            headers[.wwwAuthenticate] = #"Bearer error="invalid_token""#
            body = #"{"error":"invalid_token"}"#
        case .unavailable:
            body = #"{"error":"token verification unavailable"}"#
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
