// Settings of a ConnectionPool: sizes, timeouts, back-off, circuit breaker and metrics.
import CoreMetrics

/// Settings of a ``ConnectionPool``; every field has a default, so `ConnectionPoolConfiguration()` works.
public struct ConnectionPoolConfiguration: Sendable {
    /// How many connections the pool keeps and when it grows.
    public struct Connections: Sendable {
        /// Connections opened when the pool starts and kept open from then on. Default `1`.
        public var minimum: Int
        /// Most connections open or being opened at once. Default `8`.
        public var maximum: Int
        /// Shared users packed onto one connection before the next one is used; when every usable connection
        /// carries this many, a shared request makes the pool open another connection (the request is still
        /// served at once, on the least-loaded one). Default `32`.
        public var sharedUsersBeforeGrowing: Int
        /// Hard cap on shared users of one connection (commands in flight on it): when every connection carries
        /// this many, shared requests wait in the pool's queue (with their lease deadline) instead of piling onto a
        /// connection and timing out together. Default `128`.
        public var maximumSharedUsers: Int

        /// Creates connection-count settings.
        /// - Parameters:
        ///   - minimum: Connections kept open. Default `1`.
        ///   - maximum: Upper bound on connections. Default `8`.
        ///   - sharedUsersBeforeGrowing: Users per connection before growing. Default `32`.
        ///   - maximumSharedUsers: Hard cap of shared users per connection. Default `128`.
        public init(minimum: Int = 1, maximum: Int = 8, sharedUsersBeforeGrowing: Int = 32, maximumSharedUsers: Int = 128) {
            self.minimum = minimum
            self.maximum = maximum
            self.sharedUsersBeforeGrowing = sharedUsersBeforeGrowing
            self.maximumSharedUsers = maximumSharedUsers
        }
    }

    /// How long things may take.
    public struct Timeouts: Sendable {
        /// Longest a request waits for a connection before failing with
        /// ``ConnectionPoolError/leaseTimeout``. Default 5 s; a call may override it.
        public var leaseTimeout: Duration
        /// Time a connection above the minimum may stay without users before it is closed. Default 60 s.
        public var idleTimeout: Duration
        /// Time a connection may stay without users before the factory's `keepAlive` checks it;
        /// `nil` turns keep-alive off. Default 30 s.
        public var keepAliveInterval: Duration?

        /// Creates timeout settings.
        /// - Parameters:
        ///   - leaseTimeout: Longest wait for a connection. Default 5 s.
        ///   - idleTimeout: Idle time before closing a connection above the minimum. Default 60 s.
        ///   - keepAliveInterval: Idle time before a keep-alive check, or `nil` for none. Default 30 s.
        public init(
            leaseTimeout: Duration = .seconds(5),
            idleTimeout: Duration = .seconds(60),
            keepAliveInterval: Duration? = .seconds(30)
        ) {
            self.leaseTimeout = leaseTimeout
            self.idleTimeout = idleTimeout
            self.keepAliveInterval = keepAliveInterval
        }
    }

    /// How failed connection attempts are retried: jittered exponential back-off.
    public struct Backoff: Sendable {
        /// Delay after the first failed attempt. Default 50 ms.
        public var initial: Duration
        /// Longest delay between attempts, jitter included. Default 5 s.
        public var maximum: Duration
        /// Factor applied to the delay after each further consecutive failure. Default `2`.
        public var multiplier: Double
        /// Fraction by which a delay is randomly stretched or shrunk (0.2 = ±20 %). Default `0.2`.
        public var jitter: Double

        /// Creates back-off settings.
        /// - Parameters:
        ///   - initial: First delay. Default 50 ms.
        ///   - maximum: Delay cap. Default 5 s.
        ///   - multiplier: Growth factor. Default `2`.
        ///   - jitter: Random spread as a fraction of the delay. Default `0.2`.
        public init(
            initial: Duration = .milliseconds(50),
            maximum: Duration = .seconds(5),
            multiplier: Double = 2,
            jitter: Double = 0.2
        ) {
            self.initial = initial
            self.maximum = maximum
            self.multiplier = multiplier
            self.jitter = jitter
        }
    }

    /// When the pool stops making callers wait for a server that is down, and how soon it notices it is back.
    public struct CircuitBreaker: Sendable {
        /// How long connection attempts must have kept failing, with no connection open, before the circuit opens
        /// (waiters fail with ``ConnectionPoolError/circuitOpen`` and new requests fail at once). The time counts
        /// from the start of the first failed attempt, so a server that makes connects hang opens it as soon as one
        /// attempt times out. Default 500 ms.
        public var openAfter: Duration
        /// The longest pause between connection attempts while no connection is open (the circuit's probes
        /// included): requests succeed again about this soon after the server answers. Default 100 ms.
        public var probeInterval: Duration

        /// Creates circuit-breaker settings.
        /// - Parameters:
        ///   - openAfter: Failing time that opens the circuit. Default 500 ms.
        ///   - probeInterval: Longest pause between attempts while nothing is open. Default 100 ms.
        public init(openAfter: Duration = .milliseconds(500), probeInterval: Duration = .milliseconds(100)) {
            self.openAfter = openAfter
            self.probeInterval = probeInterval
        }
    }

    /// Where the pool reports its metrics.
    public struct Metrics: Sendable {
        /// Prefix of every metric label, as in `<prefix>_connections`. Default `"pool"`.
        public var labelPrefix: String
        /// Factory that makes the metrics; `nil` uses `MetricsSystem.factory`. Default `nil`.
        public var factory: (any MetricsFactory)?

        /// Creates metrics settings.
        /// - Parameters:
        ///   - labelPrefix: Prefix of every metric label. Default `"pool"`.
        ///   - factory: Metrics factory, or `nil` for the bootstrapped one. Default `nil`.
        public init(labelPrefix: String = "pool", factory: (any MetricsFactory)? = nil) {
            self.labelPrefix = labelPrefix
            self.factory = factory
        }
    }

    /// Connection counts. Default `Connections()`.
    public var connections: Connections
    /// Timeouts. Default `Timeouts()`.
    public var timeouts: Timeouts
    /// Retry back-off. Default `Backoff()`.
    public var backoff: Backoff
    /// Circuit breaker. Default `CircuitBreaker()`.
    public var circuitBreaker: CircuitBreaker
    /// Metrics. Default `Metrics()`.
    public var metrics: Metrics

    /// Creates a configuration.
    /// - Parameters:
    ///   - connections: Connection counts.
    ///   - timeouts: Timeouts.
    ///   - backoff: Retry back-off.
    ///   - circuitBreaker: Circuit breaker.
    ///   - metrics: Metrics.
    public init(
        connections: Connections = Connections(),
        timeouts: Timeouts = Timeouts(),
        backoff: Backoff = Backoff(),
        circuitBreaker: CircuitBreaker = CircuitBreaker(),
        metrics: Metrics = Metrics()
    ) {
        self.connections = connections
        self.timeouts = timeouts
        self.backoff = backoff
        self.circuitBreaker = circuitBreaker
        self.metrics = metrics
    }
}

extension ConnectionPoolConfiguration {
    /// Stops the program with a clear message when settings contradict each other.
    func validate() {
        precondition(connections.minimum >= 0, "connections.minimum must be >= 0")
        precondition(connections.maximum >= 1, "connections.maximum must be >= 1")
        precondition(connections.minimum <= connections.maximum, "connections.minimum must be <= connections.maximum")
        precondition(connections.sharedUsersBeforeGrowing >= 1, "connections.sharedUsersBeforeGrowing must be >= 1")
        precondition(connections.maximumSharedUsers >= connections.sharedUsersBeforeGrowing,
                     "connections.maximumSharedUsers must be >= connections.sharedUsersBeforeGrowing")
        precondition(circuitBreaker.openAfter >= .zero, "circuitBreaker.openAfter must be >= 0")
        precondition(circuitBreaker.probeInterval > .zero, "circuitBreaker.probeInterval must be > 0")
        precondition(backoff.multiplier >= 1, "backoff.multiplier must be >= 1")
        precondition(timeouts.idleTimeout > .zero, "timeouts.idleTimeout must be > 0")
        precondition((timeouts.keepAliveInterval ?? .seconds(1)) > .zero, "timeouts.keepAliveInterval must be > 0")
        precondition((0...1).contains(backoff.jitter), "backoff.jitter must be within 0...1")
    }
}
