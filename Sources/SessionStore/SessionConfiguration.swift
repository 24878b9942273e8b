// SessionConfiguration: expiry, rotation, size and per-user limits shared by every store.

/// How sessions expire, rotate and grow. Every store honours the same settings.
public struct SessionConfiguration: Sendable {
    /// Expiry settings.
    public struct Expiry: Sendable {
        /// Sliding idle timeout: a session unused this long ends. Default: 30 minutes. At most
        /// ``SessionConfiguration/maximumIdleTimeout`` (what the stored metadata can hold).
        public var idleTimeout: Duration = .seconds(30 * 60)
        /// The idle timeout of anonymous sessions (no user bound), when shorter than ``idleTimeout``: anonymous
        /// sessions are cheap for anyone to create, so they should not occupy memory as long. A login gives the
        /// session the full ``idleTimeout``. Default: 15 minutes.
        public var anonymousIdleTimeout: Duration = .seconds(15 * 60)
        /// Absolute lifetime from creation; activity, saves and rotation never extend it. Default: 12 hours.
        public var absoluteTimeout: Duration = .seconds(12 * 3600)
        /// Lazy touch: a load refreshes the expiry only when it has drifted by more than this fraction of the
        /// idle timeout since the last refresh, so a busy session does not cost a write on every read.
        /// `0` refreshes on every load. Default: `0.1`.
        public var touchThreshold: Double = 0.1
        /// "Remember me": a login that asks for it (``Authentication/remember``) gets this absolute lifetime from the
        /// login on, and the same idle timeout, instead of the defaults; it is still renewed, rotated and revocable
        /// like any session. At most ``SessionConfiguration/maximumIdleTimeout``. Default: 30 days (720 h).
        public var rememberMeLifetime: Duration = .seconds(720 * 3600)

        /// The defaults.
        public init() {}

        /// The idle timeout a new session gets: ``anonymousIdleTimeout`` (capped by ``idleTimeout``) when it is
        /// anonymous, else ``idleTimeout``.
        package func idleTimeout(bound: Bool) -> Duration {
            bound ? idleTimeout : min(idleTimeout, anonymousIdleTimeout)
        }

        /// The remember-me lifetime in milliseconds when `authentication` asks to be remembered, else `nil`.
        package func rememberedLifetime(_ authentication: Authentication?) -> Int64? {
            authentication?.remember == true ? rememberMeLifetime.milliseconds : nil
        }
    }

    /// Rotation settings.
    public struct Rotation: Sendable {
        /// After a periodic renewal the old token keeps working this long, for requests already in flight.
        /// Default: 5 seconds.
        public var renewalGrace: Duration = .seconds(5)
        /// How long a rotated-away token is remembered after its grace, so that its use is reported as possible
        /// theft (never beyond the session's absolute expiry). Default: 1 hour.
        public var theftDetectionWindow: Duration = .seconds(3600)
        /// Revoke the session when a rotated-away token is used after its grace. Default: `false` (report only).
        public var revokeOnSuspectedTheft = false

        /// The defaults.
        public init() {}
    }

    /// What to do when a user already has the maximum number of sessions.
    public enum LimitPolicy: String, Sendable {
        /// Destroy the user's oldest sessions to make room (the default).
        case evictOldest
        /// Refuse the new session with ``SessionStoreError/Code/limitReached``.
        case refuse
    }

    /// Expiry settings.
    public var expiry = Expiry()
    /// Rotation settings.
    public var rotation = Rotation()
    /// The largest session (attribute names and values, in bytes). Default: 64 KiB. At most
    /// ``maximumSessionBytesLimit``.
    public var maximumSessionBytes = 64 * 1024
    /// The most sessions one user may have at once. Default: 32.
    public var maximumSessionsPerUser = 32
    /// What happens past ``maximumSessionsPerUser``. Default: ``LimitPolicy/evictOldest``.
    public var limitPolicy = LimitPolicy.evictOldest
    /// Where the store reports lifecycle events (created, logged in, rotated, destroyed, expired, suspected theft).
    /// Subscribe with ``SessionEvents/subscribe()``; with no subscriber, reporting costs next to nothing.
    public var events = SessionEvents()

    /// The defaults.
    public init() {}

    /// The longest idle timeout a store can keep: 2³² − 1 ms (about 49.7 days; the metadata holds it in 4 bytes).
    public static let maximumIdleTimeout = Duration.milliseconds(Int64(UInt32.max))
    /// The longest absolute timeout a store can keep: 2⁴⁰ − 1 ms (about 34 years; 5 bytes of metadata).
    public static let maximumAbsoluteTimeout = Duration.milliseconds((Int64(1) << 40) - 1)
    /// The largest ``maximumSessionBytes``: 2²⁴ − 1 bytes (16 MiB; 3 bytes of metadata).
    public static let maximumSessionBytesLimit = (1 << 24) - 1

    /// Checks the settings, including that they fit what the stores' metadata can hold (a longer idle timeout
    /// would otherwise be truncated silently).
    /// - Throws: ``SessionStoreError`` `.invalidConfiguration` naming the bad setting.
    public func validate() throws(SessionStoreError) {
        func fail(_ message: String) -> SessionStoreError { SessionStoreError(.invalidConfiguration, message) }
        guard expiry.idleTimeout >= .milliseconds(1), expiry.anonymousIdleTimeout >= .milliseconds(1) else {
            throw fail("the idle timeouts must be positive")
        }
        guard expiry.idleTimeout <= Self.maximumIdleTimeout else {
            throw fail("the idle timeout must not exceed \(Self.maximumIdleTimeout.milliseconds) ms (about 49.7 days)")
        }
        guard expiry.absoluteTimeout >= expiry.idleTimeout else {
            throw fail("the absolute timeout must not be shorter than the idle timeout")
        }
        guard expiry.absoluteTimeout <= Self.maximumAbsoluteTimeout else {
            throw fail("the absolute timeout must not exceed \(Self.maximumAbsoluteTimeout.milliseconds) ms (about 34 years)")
        }
        guard expiry.rememberMeLifetime >= .milliseconds(1), expiry.rememberMeLifetime <= Self.maximumIdleTimeout else {
            throw fail("the remember-me lifetime must be positive and at most \(Self.maximumIdleTimeout.milliseconds) ms (about 49.7 days)")
        }
        guard (0...1).contains(expiry.touchThreshold) else { throw fail("the touch threshold must be within 0...1") }
        guard rotation.renewalGrace >= .zero, rotation.theftDetectionWindow >= .zero else {
            throw fail("the renewal grace and the theft detection window must not be negative")
        }
        guard maximumSessionBytes > 0 else { throw fail("the maximum session size must be positive") }
        guard maximumSessionBytes <= Self.maximumSessionBytesLimit else {
            throw fail("the maximum session size must not exceed \(Self.maximumSessionBytesLimit) bytes (16 MiB)")
        }
        guard maximumSessionsPerUser > 0 else { throw fail("the maximum sessions per user must be positive") }
    }
}

extension Duration {
    /// Whole milliseconds (rounded down), as the stores keep times.
    package var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
