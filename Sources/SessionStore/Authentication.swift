// Authentication: what a login or re-authentication records about the session's user (when, how, from where).

import Foundation

/// How the user just authenticated, given to a login or a re-authentication
/// (``SessionStore/rotate(_:_:authentication:)``, ``SessionStore/create(user:attributes:authentication:)``).
///
/// The store records it in the session in the same round trip as the rotation (``AuthenticationContext``), with the
/// store's own time as ``AuthenticationContext/authenticatedAt``. Values are bounded before they are stored: the user
/// agent is cut to ``maximumUserAgentBytes`` and control characters become spaces.
///
/// ```swift
/// let details = Authentication(method: "password", userAgent: userAgent, ipAddress: clientIP, remember: true)
/// let session = try await store.rotate(session, .login(user: "alice"), authentication: details)
/// ```
public struct Authentication: Sendable, Hashable {
    /// How the user proved who they are: `"password"`, `"token"`, `"webauthn"`… (at most 32 bytes).
    public var method: String
    /// The client's `User-Agent`, if any.
    public var userAgent: String?
    /// The client's address (as resolved from the connection or a trusted proxy's `X-Forwarded-For`), if known.
    public var ipAddress: String?
    /// "Remember me": the session's absolute lifetime (and idle timeout) become
    /// ``SessionConfiguration/Expiry-swift.struct/rememberMeLifetime`` from now. `false` keeps the session's expiry.
    public var remember: Bool

    /// The longest user agent kept, in bytes.
    public static let maximumUserAgentBytes = 256

    /// Describes an authentication.
    public init(method: String = "password", userAgent: String? = nil, ipAddress: String? = nil, remember: Bool = false) {
        self.method = method
        self.userAgent = userAgent
        self.ipAddress = ipAddress
        self.remember = remember
    }

    /// The stored form without the time (which the store prepends): `"<remembered 0|1>\n<method>\n<ip>\n<user agent>"`.
    package var encoded: String {
        let fields = [
            remember ? "1" : "0",
            Self.clean(method, limit: 32),
            Self.clean(ipAddress ?? "", limit: 64),
            Self.clean(userAgent ?? "", limit: Self.maximumUserAgentBytes),
        ]
        return fields.joined(separator: "\n")
    }

    /// `text` with control characters replaced by spaces, cut to at most `limit` UTF-8 bytes on a character boundary.
    static func clean(_ text: String, limit: Int) -> String {
        var out = ""
        var bytes = 0
        for scalar in text.unicodeScalars {
            let kept: Unicode.Scalar = scalar.properties.generalCategory == .control ? " " : scalar
            let width = kept.utf8.count
            guard bytes + width <= limit else { break }
            out.unicodeScalars.append(kept)
            bytes += width
        }
        return out
    }
}

/// How and when a session's user last authenticated, as recorded by a login or re-authentication: what a
/// "your devices" page shows, and what ``AuthenticationContext/isRecent(within:now:)`` checks before sensitive actions.
public struct AuthenticationContext: Sendable, Hashable {
    /// When the user last authenticated (the store's time).
    public let authenticatedAt: Date
    /// How: `"password"`, `"token"`…
    public let method: String
    /// The client's user agent, at most ``Authentication/maximumUserAgentBytes`` bytes; `nil` when there was none.
    public let userAgent: String?
    /// The client's address; `nil` when unknown.
    public let ipAddress: String?
    /// Whether the login asked to be remembered (a longer lifetime).
    public let remembered: Bool

    /// A human label for the device, derived from the user agent: `"Firefox on Linux"`, `"Safari on iPhone"`,
    /// `"curl"`, or `"Unknown device"`.
    public var device: String { DeviceLabel.describe(userAgent: userAgent) }

    /// Whether the authentication happened within `window` of `now`.
    public func isRecent(within window: Duration, now: Date = Date()) -> Bool {
        now.timeIntervalSince(authenticatedAt) * 1000 <= Double(window.milliseconds)
    }

    package init(authenticatedAt: Date, method: String, userAgent: String?, ipAddress: String?, remembered: Bool) {
        self.authenticatedAt = authenticatedAt
        self.method = method
        self.userAgent = userAgent
        self.ipAddress = ipAddress
        self.remembered = remembered
    }

    /// Parses the stored form `"<ms>\n<remembered>\n<method>\n<ip>\n<user agent>"`; `nil` when malformed.
    package init?(encoded bytes: some Collection<UInt8>) {
        let parts = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, let milliseconds = Int64(String(decoding: parts[0], as: UTF8.self)) else { return nil }
        func text(_ index: Int) -> String? {
            parts[index].isEmpty ? nil : String(decoding: parts[index], as: UTF8.self)
        }
        self.init(
            authenticatedAt: SessionInternals.date(milliseconds: milliseconds), method: text(2) ?? "",
            userAgent: text(4), ipAddress: text(3), remembered: parts[1].first == UInt8(ascii: "1")
        )
    }

    /// `authentication` as a store records it at `milliseconds` (the Redis scripts write `now .. '\n' .. encoded`):
    /// through the stored form, so that every store bounds the values the same way.
    package static func recorded(_ authentication: Authentication?, at milliseconds: Int64) -> AuthenticationContext? {
        authentication.flatMap { AuthenticationContext(encoded: Array(("\(milliseconds)\n" + $0.encoded).utf8)) }
    }
}
