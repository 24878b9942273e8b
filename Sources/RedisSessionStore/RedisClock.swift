// RedisClock: Redis's clock estimated from a recent TIME, so that most read-only loads need no TIME of their own.

import Synchronization

/// Redis's clock, estimated from a `TIME` at most a second old plus the monotonic time elapsed since.
///
/// The read-only load uses it only to decide whether the load script (which reads `TIME` itself) must run. A session
/// whose key exists is within its timeouts whatever this clock says (its TTL, set from Redis's clock, enforces
/// them), so an error here only moves a lazy touch by as much. The error is at most half the round trip of the
/// `TIME` that was kept (samples over ``maximumRoundTrip`` are not), and the local wall clock plays no part, so
/// stepping it changes nothing.
final class RedisClock: Sendable {
    /// How long a sample is used before a load asks Redis again.
    static let maximumAge = Duration.seconds(1)
    /// Samples whose round trip (pool wait included) took longer are not kept.
    static let maximumRoundTrip = Duration.milliseconds(100)

    /// Redis's time (milliseconds since 1970) at a local monotonic instant.
    private let sample = Mutex<(redis: Int64, at: ContinuousClock.Instant)?>(nil)

    /// Redis's time now, in milliseconds since 1970; `nil` when no sample was kept within ``maximumAge``.
    func now() -> Int64? {
        guard let sample = sample.withLock({ $0 }) else { return nil }
        let elapsed = sample.at.duration(to: .now)
        guard elapsed < Self.maximumAge else { return nil }
        let (seconds, attoseconds) = elapsed.components
        return sample.redis + seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Keeps what `TIME` answered (`redis`, in milliseconds) to a request sent at `sentAt` and answered at
    /// `receivedAt`: Redis read its clock in between, taken as halfway.
    func record(redis: Int64, sentAt: ContinuousClock.Instant, receivedAt: ContinuousClock.Instant) {
        let roundTrip = sentAt.duration(to: receivedAt)
        guard roundTrip <= Self.maximumRoundTrip else { return }
        let halfway = sentAt.advanced(by: roundTrip / 2)
        sample.withLock { $0 = (redis, halfway) }
    }
}
