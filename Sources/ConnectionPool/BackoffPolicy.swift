// Jittered exponential back-off delays for failed connection attempts, with an injectable random source.

/// Computes how long to wait before retrying a failed connection attempt.
struct BackoffPolicy: Sendable {
    let initial: Duration
    let maximum: Duration
    let multiplier: Double
    let jitter: Double
    /// Returns a number in `0..<1`; injected so that tests are deterministic (0.5 means no jitter).
    let randomUnit: @Sendable () -> Double

    init(_ configuration: ConnectionPoolConfiguration.Backoff, randomUnit: @escaping @Sendable () -> Double) {
        self.initial = configuration.initial
        self.maximum = configuration.maximum
        self.multiplier = configuration.multiplier
        self.jitter = configuration.jitter
        self.randomUnit = randomUnit
    }

    /// The delay after `failures` consecutive failures (1 for the first).
    func delay(afterFailures failures: Int) -> Duration {
        let cap = maximum.nanosecondsDouble
        var base = initial.nanosecondsDouble
        var step = 1
        while step < failures && base < cap {
            base *= multiplier
            step += 1
        }
        base = min(base, cap)
        let spread = 1 - jitter + 2 * jitter * min(max(randomUnit(), 0), 1)
        let nanoseconds = min(base * spread, cap)
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }
}
