// SessionClock: where the in-memory store reads the time, so tests can move it by hand.

import Foundation
import Synchronization

/// The wall clock of the in-memory store, in milliseconds since 1970.
public protocol SessionClock: Sendable {
    /// The current time in milliseconds since 1970.
    func nowMilliseconds() -> Int64
}

/// The system's wall clock.
public struct SystemSessionClock: SessionClock {
    /// Creates the system clock.
    public init() {}

    public func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// A clock that moves only when told to, for tests.
public final class ManualSessionClock: SessionClock {
    private let now: Mutex<Int64>

    /// Creates a clock at `start` (default: the real time now).
    public init(start: Int64 = SystemSessionClock().nowMilliseconds()) {
        now = Mutex(start)
    }

    public func nowMilliseconds() -> Int64 { now.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        now.withLock { $0 += duration.milliseconds }
    }
}
