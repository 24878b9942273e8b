// The non-generic core of the pool: the state machine behind a Mutex, metrics, and the work queue.
import Logging
import Synchronization

/// The engine behind ``ConnectionPool``, free of generics so that its hot path is fully specialized
/// in this module whatever connection type the caller uses.
///
/// It owns the state machine behind a `Mutex`, mutates it under the lock, and performs the
/// returned actions outside the lock. Connections are held as `any PooledConnection`; the generic
/// ``ConnectionPool`` casts them back to the factory's type.
final class PoolRunner: Sendable {
    typealias Connection = any PooledConnection
    typealias Request = CheckedContinuation<Lease<Connection>, any Error>
    typealias Machine = PoolStateMachine<Connection, Request, ContinuousClock.Instant>
    typealias MakeConnection = @Sendable (_ id: Int, _ logger: Logger) async throws -> Connection
    typealias KeepAlive = @Sendable (_ connection: Connection, _ logger: Logger) async throws -> Void

    /// Background work that `run()` performs in its task group.
    enum WorkItem: Sendable {
        case create(slotID: Int)
        case keepAlive(Lease<Connection>)
        case timer(PoolTimer<ContinuousClock.Instant>)
    }

    /// What the mutex guards: the state machine and the gauge values last recorded.
    struct Locked {
        var machine: Machine
        var gauges = PoolStatistics()
    }

    let configuration: ConnectionPoolConfiguration
    let logger: Logger
    let makeConnection: MakeConnection
    let keepAlive: KeepAlive
    let clock = ContinuousClock()
    let metrics: PoolMetrics
    let state: Mutex<Locked>
    let requestIDs = Atomic<Int>(0)
    let runStarted = Atomic<Bool>(false)
    let workStream: AsyncStream<WorkItem>
    let workContinuation: AsyncStream<WorkItem>.Continuation

    init(
        configuration: ConnectionPoolConfiguration,
        logger: Logger,
        randomUnit: @escaping @Sendable () -> Double,
        makeConnection: @escaping MakeConnection,
        keepAlive: @escaping KeepAlive
    ) {
        self.configuration = configuration
        self.logger = logger
        self.makeConnection = makeConnection
        self.keepAlive = keepAlive
        self.metrics = PoolMetrics(configuration.metrics)
        self.state = Mutex(Locked(machine: Machine(configuration: configuration, randomUnit: randomUnit)))
        (self.workStream, self.workContinuation) = AsyncStream.makeStream(of: WorkItem.self)
    }

    /// Opens the minimum connections and performs background work until shutdown or cancellation.
    func run() async {
        let started = runStarted.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
        precondition(started, "ConnectionPool.run() may be called only once")
        logger.debug("connection pool starting", metadata: [
            "pool.connections.minimum": "\(configuration.connections.minimum)",
            "pool.connections.maximum": "\(configuration.connections.maximum)",
        ])
        let now = clock.now
        execute(withMachine { $0.start(now: now) })
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for await item in workStream {
                    schedule(item, in: &group)
                }
                group.cancelAll()
            }
        } onCancel: {
            self.execute(self.withMachine { $0.forceShutdown() })
        }
        logger.debug("connection pool stopped")
    }

    /// Starts graceful shutdown.
    func shutdown() {
        logger.debug("connection pool shutting down")
        let now = clock.now
        execute(withMachine { $0.shutdown(now: now) })
    }

    /// Runs `body` on the state machine under the lock and records gauges that changed.
    ///
    /// Gauges are recorded under the lock so that they never go back to a stale value;
    /// they change only when a connection changes state, not on every use.
    @inline(__always)
    func withMachine<Result: Sendable>(_ body: (inout Machine) -> Result) -> Result {
        state.withLock(annotatedBy: self) { locked in
            locked.machine.statisticsMayHaveChanged = true
            let result = body(&locked.machine)
            // The shared fast paths (one more or one less user of a busy connection) leave the counts as they were.
            guard locked.machine.statisticsMayHaveChanged else { return result }
            let statistics = locked.machine.statistics
            if statistics != locked.gauges {
                metrics.record(statistics, previous: locked.gauges)
                locked.gauges = statistics
            }
            return result
        }
    }

    /// How many connections are in each state right now.
    var statistics: PoolStatistics {
        state.withLock(annotatedBy: self) { $0.machine.statistics }
    }

    /// A logger whose metadata names the connection.
    func logger(forSlot slotID: Int) -> Logger {
        var logger = self.logger
        logger[metadataKey: "pool.connection.id"] = "\(slotID)"
        return logger
    }
}
