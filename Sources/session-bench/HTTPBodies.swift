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
