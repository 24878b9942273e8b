// JSONBodies: the JSON request and response bodies of the session server's routes.

import Foundation
import Hummingbird

/// `{"csrfToken"}`.
struct CSRFBody: ResponseEncodable { let csrfToken: String }

/// `{"username","password"}`.
struct LoginRequest: Decodable {
    let username: String
    let password: String
    /// "Remember me": the session gets the remember-me lifetime (`POST /login` only).
    let remember: Bool?
}

/// `{"password"}` (`POST /reauth`).
struct ReauthRequest: Decodable { let password: String }

/// `{"user","csrfToken"}`.
struct LoginBody: ResponseEncodable { let user: String; let csrfToken: String }

/// `{"user","instance","createdAt","expiresAt"}` with ISO-8601 dates; written by hand (``JSONObjectWriter``): it is
/// the body of the hottest authenticated route.
struct MeBody: ResponseGenerator {
    let user: String
    let instance: String
    let createdAt: Date
    let expiresAt: Date

    func response(from request: Request, context: some RequestContext) -> Response {
        var writer = JSONObjectWriter(capacity: 103 + user.utf8.count + instance.utf8.count)
        writer.field("user", user)
        writer.field("instance", instance)
        writer.field("createdAt", iso8601: createdAt)
        writer.field("expiresAt", iso8601: expiresAt)
        return writer.response()
    }
}

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
/// One of `GET /sessions`' entries: the handle, times, the authentication recorded at login (`null` members when
/// nothing was recorded), and whether it is the requesting session.
struct SessionEntry: Encodable {
    let handle: String
    let createdAt: String
    let lastAccessAt: String
    let authenticatedAt: String?
    let method: String?
    let userAgent: String?
    let ip: String?
    let device: String?
    let current: Bool

    enum CodingKeys: String, CodingKey {
        case handle, createdAt, lastAccessAt, authenticatedAt, method, userAgent, ip, device, current
    }

    /// Writes every member, `null` included (each entry has exactly the same members).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(handle, forKey: .handle)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(lastAccessAt, forKey: .lastAccessAt)
        try container.encode(authenticatedAt, forKey: .authenticatedAt)
        try container.encode(method, forKey: .method)
        try container.encode(userAgent, forKey: .userAgent)
        try container.encode(ip, forKey: .ip)
        try container.encode(device, forKey: .device)
        try container.encode(current, forKey: .current)
    }
}

/// `{"sessions": [...]}`.
struct SessionsBody: ResponseEncodable { let sessions: [SessionEntry] }

/// `{"error": "..."}`.
struct ErrorBody: Encodable { let error: String }

extension Date {
    /// ISO-8601 with milliseconds, UTC (`2026-01-02T03:04:05.678Z`), to the nearest millisecond (the store keeps
    /// milliseconds, and `Double` seconds may land a hair below one).
    ///
    /// Formatted by hand: it runs twice on every `GET /me`, and Foundation's `ISO8601FormatStyle` costs more than
    /// the rest of the handler. Days to a civil date by Howard Hinnant's `civil_from_days` (proleptic Gregorian).
    var iso8601: String {
        withISO8601Bytes { String(decoding: $0, as: UTF8.self) }
    }

    /// The 24 bytes of ``iso8601``, formatted on the stack.
    func withISO8601Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let milliseconds = Int64((timeIntervalSince1970 * 1000).rounded())
        let days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        let ofDay = milliseconds - days * 86_400_000
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { bytes in
            var count = 0
            func append(_ byte: UInt8) {
                bytes[count] = byte
                count += 1
            }
            func append(_ value: Int64, digits: Int) {
                var divisor: Int64 = 1
                for _ in 1..<digits { divisor *= 10 }
                var rest = value
                while divisor > 0 {
                    append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                    rest %= divisor
                    divisor /= 10
                }
            }
            append(year, digits: 4)
            append(UInt8(ascii: "-"))
            append(month, digits: 2)
            append(UInt8(ascii: "-"))
            append(day, digits: 2)
            append(UInt8(ascii: "T"))
            append(ofDay / 3_600_000, digits: 2)
            append(UInt8(ascii: ":"))
            append(ofDay / 60_000 % 60, digits: 2)
            append(UInt8(ascii: ":"))
            append(ofDay / 1000 % 60, digits: 2)
            append(UInt8(ascii: "."))
            append(ofDay % 1000, digits: 3)
            append(UInt8(ascii: "Z"))
            return try body(UnsafeBufferPointer(rebasing: bytes[..<count]))
        }
    }
}

/// `{"refresh_token"}` of `POST /token/refresh`.
struct RefreshRequest: Decodable { let refresh_token: String }

/// `{"token"}` of `POST /token/revoke`.
struct RevokeRequest: Decodable { let token: String }

/// `{"status","families","sessions"}` of `POST /api/logout-all`: how many token families and cookie sessions ended.
struct LogoutAllBody: ResponseEncodable { let status: String; let families: Int; let sessions: Int }
