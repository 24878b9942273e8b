// RevocationProbe: after a refresh-token reuse, follows a revoked family's access token until every instance refuses it.

/// The probe of one revoked family's current access token, made after the reuse of a spent refresh token was
/// refused (which revokes the family).
///
/// Every ``interval`` for at most ``window`` after the reuse response arrived, `GET /api/me` is sent with the
/// family's access token; each answer names its instance. The revocation has propagated once every instance seen
/// (and at least `expectedInstances` of them) has refused it in its latest answer; the time from the reuse response
/// to that refusal's arrival is the propagation (an upper bound: a round-robin proxy reaches an instance only now
/// and then; ``lastAccepted`` is the lower bound). An acceptance is a violation only when the request was sent more than ``acceptanceLimit`` after the
/// reuse response arrived: the server answered it later still.
struct RevocationProbe: Sendable {
    /// How long an instance may still accept the revoked family's access token.
    static let acceptanceLimit: Duration = .seconds(1)
    /// How long the probe lasts at most.
    static let window: Duration = .seconds(2)
    /// The time between two probe requests (from the start of one to the start of the next).
    static let interval: Duration = .milliseconds(20)

    /// What one answer to the probe said.
    enum Outcome: Equatable, Sendable {
        /// Nothing decided yet: probe again.
        case pending
        /// Every instance refuses the token now; the propagation took this long.
        case propagated(Duration)
        /// This instance accepted the token when it was sent this long after the reuse response.
        case acceptedLate(instance: String, after: Duration)
    }

    /// When the reuse response arrived.
    let start: ContinuousClock.Instant
    /// Instances that must refuse (at least 1).
    let expectedInstances: Int
    /// The latest answer of each instance: `true` when it refused.
    private(set) var refusedBy: [String: Bool] = [:]
    /// When the next probe request is due.
    private(set) var nextAt: ContinuousClock.Instant
    /// The latest time after the reuse response at which a probe was sent that an instance still accepted: a lower
    /// bound of the propagation (`nil`: every probe was refused).
    private(set) var lastAccepted: Duration?

    init(start: ContinuousClock.Instant, expectedInstances: Int) {
        self.start = start
        self.expectedInstances = max(1, expectedInstances)
        nextAt = start
    }

    /// Whether the window is over at `now` (no probe is sent after it).
    func isOver(at now: ContinuousClock.Instant) -> Bool { now - start >= Self.window }

    /// Records an answer: whether `instance` refused (401) a request sent at `sentAt`, arriving at `receivedAt`.
    mutating func record(
        instance: String, refused: Bool, sentAt: ContinuousClock.Instant, receivedAt: ContinuousClock.Instant
    ) -> Outcome {
        nextAt = sentAt + Self.interval
        refusedBy[instance] = refused
        if !refused {
            lastAccepted = Swift.max(lastAccepted ?? .zero, sentAt - start)
            return sentAt - start > Self.acceptanceLimit ? .acceptedLate(instance: instance, after: sentAt - start) : .pending
        }
        if refusedBy.count >= expectedInstances && refusedBy.values.allSatisfy({ $0 }) {
            return .propagated(receivedAt - start)
        }
        return .pending
    }
}

/// The p50, p99 and max of the revocation propagations of a run, in milliseconds (nearest rank).
struct RevocationStats: Equatable, Sendable {
    let p50: Double
    let p99: Double
    let max: Double

    /// `nil` when no propagation was measured.
    init?(milliseconds: [Double]) {
        guard !milliseconds.isEmpty else { return nil }
        let sorted = milliseconds.sorted()
        func rank(_ percent: Double) -> Double {
            let index = Int((percent / 100 * Double(sorted.count)).rounded(.up)) - 1
            return (sorted[Swift.max(0, Swift.min(sorted.count - 1, index))] * 1000).rounded() / 1000
        }
        p50 = rank(50)
        p99 = rank(99)
        max = (sorted[sorted.count - 1] * 1000).rounded() / 1000
    }

    /// A duration in milliseconds, to the microsecond.
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 1000).rounded() / 1000
    }
}
