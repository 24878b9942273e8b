// SessionInternals: helpers the store implementations of this package share (time, summaries, sizes, lazy touch).

import Foundation

/// Shared by the store implementations (package-internal).
package enum SessionInternals {
    /// Milliseconds since 1970 as a date.
    package static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// A session summary for a stored id.
    package static func summary(
        id: String, createdAt: Int64, lastAccessAt: Int64, authentication: AuthenticationContext? = nil
    ) -> SessionSummary {
        SessionSummary(handle: SessionIdentity.handle(forID: id), createdAt: date(milliseconds: createdAt),
                       lastAccessAt: date(milliseconds: lastAccessAt), authentication: authentication)
    }

    /// The attributes' total size (names plus values).
    package static func size(of attributes: [String: [UInt8]]) -> Int {
        attributes.reduce(0) { $0 + $1.key.utf8.count + $1.value.count }
    }

    /// The lazy-touch threshold of a session in milliseconds: a fraction of its own idle timeout (anonymous
    /// sessions have a shorter one), rounded down as the load script does.
    package static func touchThreshold(idle: Int64, fraction: Double) -> Int64 {
        Int64((Double(idle) * fraction).rounded(.down))
    }

    /// The lazy-touch rule of `load` (the Redis store's load script applies the same in Lua): given the expiry a
    /// refresh would set and the one in force, both in milliseconds from now, refresh when they differ by more than
    /// `threshold`, and once when the absolute expiry comes within reach, so that an active session lives exactly
    /// until it.
    package static func touchDue(refreshed: Int64, current: Int64, untilAbsolute: Int64, threshold: Int64) -> Bool {
        refreshed - current > threshold || (refreshed == untilAbsolute && current < refreshed)
    }
}
