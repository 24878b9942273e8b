// RevocationList: each instance's local copy of the revoked token families, and how fresh it is.

import Synchronization

/// The families revoked recently, held in memory on every instance so that verifying an access token costs no
/// Redis round trip: a token whose `sid` is listed is refused.
///
/// A store's ``TokenFamilyStore/followRevocations(into:)`` fills it (Redis: Pub/Sub for immediacy, and a poll of
/// the revocation log as the bound when a message is lost) and marks it fresh each time it has confirmed that
/// nothing older is missing. A list that has not been confirmed for ``maxStaleness`` is **stale**: verification
/// then fails closed (503) instead of trusting it, so a revocation is honoured on every instance within
/// `maxStaleness`, whatever happens to Pub/Sub.
///
/// Entries are kept for ``horizon`` (the access-token lifetime plus the leeway): every access token of a revoked
/// family has expired by then, and families are never revived.
public final class RevocationList: Sendable {
    private struct State {
        var revoked: [String: ContinuousClock.Instant] = [:]
        var freshAt: ContinuousClock.Instant?
        var nextSweep: ContinuousClock.Instant
    }

    /// How long a revocation is remembered.
    public let horizon: Duration
    /// How old the last confirmation may be before the list counts as stale.
    public let maxStaleness: Duration
    private let state: Mutex<State>

    /// Creates an empty list, stale until its first confirmation.
    /// - Parameters:
    ///   - horizon: how long a revocation is remembered (the access-token lifetime plus the leeway).
    ///   - maxStaleness: the longest a revocation may take to be honoured here. Default: 1 s.
    public init(horizon: Duration, maxStaleness: Duration = .seconds(1)) {
        self.horizon = horizon
        self.maxStaleness = maxStaleness
        self.state = Mutex(State(nextSweep: .now + horizon))
    }

    /// What the list says of a family.
    public enum Status: Sendable, Equatable {
        /// Not revoked, as of a confirmation within ``RevocationList/maxStaleness``.
        case valid
        /// Revoked.
        case revoked
        /// The list is stale: nothing can be said (fail closed).
        case unknown
    }

    /// The status of a family now.
    public func status(of family: String) -> Status {
        let now = ContinuousClock.now
        return state.withLock { state in
            if let until = state.revoked[family], until > now { return .revoked }
            guard let freshAt = state.freshAt, now - freshAt <= maxStaleness else { return .unknown }
            return .valid
        }
    }

    /// Adds revoked families (each remembered for ``horizon`` from now).
    public func revoke(_ families: some Sequence<String>) {
        let now = ContinuousClock.now
        let until = now + horizon
        state.withLock { state in
            for family in families { state.revoked[family] = until }
            if now >= state.nextSweep {
                state.revoked = state.revoked.filter { $0.value > now }
                state.nextSweep = now + horizon / 4
            }
        }
    }

    /// Records that every revocation made before `instant` is in the list (the time the confirming read was sent).
    public func markFresh(asOf instant: ContinuousClock.Instant) {
        state.withLock { state in
            if state.freshAt.map({ $0 < instant }) ?? true { state.freshAt = instant }
        }
    }

    /// Whether the list was confirmed within ``maxStaleness``.
    public var isFresh: Bool {
        let now = ContinuousClock.now
        return state.withLock { state in state.freshAt.map { now - $0 <= maxStaleness } ?? false }
    }

    /// How many revocations are remembered (for metrics and tests).
    public var count: Int { state.withLock { $0.revoked.count } }
}
