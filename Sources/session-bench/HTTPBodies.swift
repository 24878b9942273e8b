// HTTPBodies: the session-server JSON bodies the http bench sends and reads.

/// `{"csrfToken"}` from `GET /csrf` and `POST /renew`.
struct CSRFReply: Decodable { let csrfToken: String }

/// `{"user","csrfToken"}` from `POST /login`.
struct LoginReply: Decodable { let user: String; let csrfToken: String }

/// `{"user","instance","createdAt","expiresAt"}` from `GET /me`.
struct MeReply: Decodable { let user: String; let instance: String }

/// `{"value"}` from `GET /counter` and `POST /counter/increment`.
struct CounterReply: Decodable { let value: Int }

/// `{"prefs": {key: value}}` from `GET /prefs`; the bench only ever stores strings.
struct PrefsReply: Decodable { let prefs: [String: String] }

/// `{"status"}` from `GET /ping`.
struct StatusReply: Decodable { let status: String }

/// `{"username","password"}` for `POST /login`.
struct LoginBody: Encodable { let username: String; let password: String }

/// `{"value"}` for `PUT /prefs/{key}`.
struct PrefBody: Encodable { let value: String }

/// A user name and password from `--login user:password`.
struct Credentials: Sendable, Equatable {
    let username: String
    let password: String

    /// Parses `user:password` (the password may itself contain `:`); `nil` when either part is empty.
    init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        username = String(text[..<colon])
        password = String(text[text.index(after: colon)...])
        guard !username.isEmpty, !password.isEmpty else { return nil }
    }

    init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

// MARK: Tokens (the `tokens` workload)

/// `{"access_token","token_type","expires_in","refresh_token"}` from `POST /token` and `POST /token/refresh`.
/// Holds secrets: never print it.
struct TokenReply: Decodable, Sendable {
    let access_token: String
    let token_type: String
    let expires_in: Int
    let refresh_token: String

    /// Whether the reply is usable: both tokens present and the type `Bearer` (case-insensitive, RFC 6749 §5.1).
    var isBearer: Bool {
        token_type.lowercased() == "bearer" && !access_token.isEmpty && !refresh_token.isEmpty
    }
}

/// `{"user","instance","family","expiresAt"}` from `GET /api/me` (expiresAt in ISO 8601).
struct APIMeReply: Decodable, Sendable {
    let user: String
    let instance: String
    let family: String
    let expiresAt: String
}

/// `{"username","password"}` for `POST /token` (the same body as `POST /login`).
typealias TokenBody = LoginBody

/// `{"refresh_token"}` for `POST /token/refresh`.
struct RefreshBody: Encodable { let refresh_token: String }

/// `{"token"}` for `POST /token/revoke`.
struct RevokeBody: Encodable { let token: String }
