// RedisClock: Redis's clock estimated from a recent TIME, so that most read-only loads need no TIME of their own.

import Foundation
import Synchronization

/// Redis's clock, estimated as the local wall clock plus the offset that a `TIME` at most a second old showed.
///
/// The read-only load uses it only to decide whether the load script (which reads `TIME` itself) must run. A session
/// whose key exists is within its timeouts whatever this clock says (its TTL, set from Redis's clock, enforces
/// them), so an error here only moves a lazy touch by as much; the error is at most half the round trip of the
/// `TIME` that set the offset, plus a second of drift between the two clocks.
final class RedisClock: Sendable {
    /// How long an offset is used before a load asks Redis again.
    static let maximumAge = Duration.seconds(1)

    /// Redis's wall clock minus ours, in milliseconds.
    private let offset = Atomic<Int64>(0)
    /// When the offset was measured, in nanoseconds since `start`; `Int64.min`: never.
    private let measuredAt = Atomic<Int64>(.min)
    private let start = ContinuousClock.now

    /// Our wall clock, in milliseconds since 1970.
    static func wallMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// Redis's time now, in milliseconds since 1970; `nil` when no `TIME` was seen within ``maximumAge``.
    func now() -> Int64? {
        let measured = measuredAt.load(ordering: .relaxed)
        guard measured != .min, elapsedNanoseconds() - measured < Self.nanoseconds(Self.maximumAge) else { return nil }
        return Self.wallMilliseconds() + offset.load(ordering: .relaxed)
    }

    /// Records what `TIME` answered (`redis`, in milliseconds) to a request sent at `sentAt` and answered at
    /// `receivedAt` (our wall clock, in milliseconds): Redis read its clock halfway, give or take half the round trip.
    func record(redis: Int64, sentAt: Int64, receivedAt: Int64) {
        offset.store(redis - (sentAt + receivedAt) / 2, ordering: .relaxed)
        measuredAt.store(elapsedNanoseconds(), ordering: .relaxed)
    }

    private func elapsedNanoseconds() -> Int64 { Self.nanoseconds(start.duration(to: .now)) }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
