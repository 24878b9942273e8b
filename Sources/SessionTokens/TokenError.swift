// TokenError: why a token operation failed, in the terms of OAuth 2.0 responses.

import SessionStore

/// A failure of ``TokenService``: each maps to one HTTP answer.
public enum TokenError: Error, Sendable, CustomStringConvertible {
    /// The access token was refused (401 with `WWW-Authenticate: Bearer error="invalid_token"`).
    case invalidToken(AccessTokenError)
    /// The refresh token is spent, expired, revoked, unknown or malformed (401 `{"error":"invalid_grant"}`).
    case invalidGrant
    /// The store, or the revocation list, cannot vouch for anything now (503: fail closed).
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalidToken(let error): "invalid token: \(error)"
        case .invalidGrant: "invalid grant"
        case .unavailable(let message): "unavailable: \(message)"
        }
    }

    static func wrap(_ error: SessionStoreError) -> TokenError { .unavailable(error.message) }
}
