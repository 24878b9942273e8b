// BearerTokenRequestContext: the request context protocol that gives handlers the verified access-token claims.

import Hummingbird
import SessionTokens

/// A request context that carries the claims of the access token ``BearerTokenMiddleware`` verified.
///
/// ```swift
/// struct AppContext: BearerTokenRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var accessToken: AccessTokenClaims?
///     init(source: Source) { coreContext = .init(source: source) }
/// }
/// ```
public protocol BearerTokenRequestContext: RequestContext {
    /// The verified claims (`sub` the user, `sid` the family); `nil` until the middleware set them.
    var accessToken: AccessTokenClaims? { get set }
}

extension BearerTokenRequestContext {
    /// The verified claims, or a 401 with `WWW-Authenticate: Bearer` for a route reached without them.
    public func requireAccessToken() throws -> AccessTokenClaims {
        guard let accessToken else { throw BearerTokenError.missing }
        return accessToken
    }
}
