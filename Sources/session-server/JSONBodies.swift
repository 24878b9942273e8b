// JSONBodies: the JSON request and response bodies of the session server's routes.

import Foundation
import Hummingbird

/// `{"csrfToken"}`.
struct CSRFBody: ResponseEncodable { let csrfToken: String }

/// `{"username","password"}`.
struct LoginRequest: Decodable { let username: String; let password: String }

/// `{"user","csrfToken"}`.
struct LoginBody: ResponseEncodable { let user: String; let csrfToken: String }

/// `{"user","instance","createdAt","expiresAt"}` with ISO-8601 dates.
struct MeBody: ResponseEncodable { let user: String; let instance: String; let createdAt: String; let expiresAt: String }

/// `{"value"}` of the counter.
struct CounterBody: ResponseEncodable { let value: Int64 }

/// `{"value"}` of a preference.
struct PrefRequest: Decodable { let value: JSONValue }

/// `{"key","value"}` of a stored preference.
struct PrefBody: ResponseEncodable { let key: String; let value: JSONValue }

/// `{"prefs": {key: value}}`.
struct PrefsBody: ResponseEncodable { let prefs: [String: JSONValue] }

/// `{"ok": true}` and friends.
struct StatusBody: ResponseEncodable { let status: String }

/// `{"ended": n}`: how many sessions an operation ended.
struct EndedBody: ResponseEncodable { let status: String; let ended: Int }

/// One entry of `GET /sessions`.
struct SessionEntry: Encodable { let handle: String; let createdAt: String; let lastAccessAt: String; let current: Bool }

/// `{"sessions": [...]}`.
struct SessionsBody: ResponseEncodable { let sessions: [SessionEntry] }

/// `{"error": "..."}`.
struct ErrorBody: Encodable { let error: String }

extension Date {
    /// ISO-8601 with milliseconds, UTC (`2026-01-02T03:04:05.678Z`).
    var iso8601: String { formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) }
}
