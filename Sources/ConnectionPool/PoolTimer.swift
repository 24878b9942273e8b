// A timer the state machine asks the runner to schedule; it comes back through timerFired.

/// A timer the state machine wants scheduled; when it fires the runner passes it back.
///
/// Timers are never cancelled one by one: a timer that fires when it no longer matters is ignored,
/// and the runner cancels all outstanding timers when the pool has shut down.
struct PoolTimer<Instant: InstantProtocol>: Hashable {
    /// What the timer is for.
    enum Kind: Hashable {
        /// Fail waiters whose deadline has passed.
        case waiterDeadline
        /// Retry opening the connection of this slot after a back-off delay.
        case backoff(slotID: Int)
        /// Check an idle connection for keep-alive or idle timeout.
        case maintenance(slotID: Int)
    }

    /// What the timer is for.
    var kind: Kind
    /// When it should fire.
    var deadline: Instant
}

extension PoolTimer: Sendable where Instant: Sendable {}
extension PoolTimer.Kind: Sendable {}
