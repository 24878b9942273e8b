// The pool's swift-metrics instruments: connection-state gauges, waiters, wait time, connect failures.
import Metrics

/// The pool's metrics, made once at start-up so that recording allocates nothing.
///
/// - `<prefix>_connections{state=leased|shared|idle|connecting}` (gauge)
/// - `<prefix>_waiters` (gauge)
/// - `<prefix>_wait_time` (timer: every lease's wait for a connection, zero when one was free at once)
/// - `<prefix>_connect_failures` (counter)
/// - `<prefix>_circuit_open` (gauge: 1 while the circuit breaker is open, else 0)
final class PoolMetrics: Sendable {
    let leased: Gauge
    let shared: Gauge
    let idle: Gauge
    let connecting: Gauge
    let waiters: Gauge
    let waitTime: CoreMetrics.Timer
    let connectFailures: Counter
    let circuitOpen: Gauge

    init(_ settings: ConnectionPoolConfiguration.Metrics) {
        let factory = settings.factory ?? MetricsSystem.factory
        let prefix = settings.labelPrefix
        func connections(_ state: String) -> Gauge {
            Gauge(label: "\(prefix)_connections", dimensions: [("state", state)], factory: factory)
        }
        leased = connections("leased")
        shared = connections("shared")
        idle = connections("idle")
        connecting = connections("connecting")
        waiters = Gauge(label: "\(prefix)_waiters", factory: factory)
        waitTime = CoreMetrics.Timer(label: "\(prefix)_wait_time", factory: factory)
        connectFailures = Counter(label: "\(prefix)_connect_failures", factory: factory)
        circuitOpen = Gauge(label: "\(prefix)_circuit_open", factory: factory)
        circuitOpen.record(0)
        record(PoolStatistics(), previous: nil)
    }

    /// Records the gauges that changed since `previous` (all of them when `previous` is `nil`).
    func record(_ now: PoolStatistics, previous: PoolStatistics?) {
        if now.leased != previous?.leased { leased.record(now.leased) }
        if now.shared != previous?.shared { shared.record(now.shared) }
        if now.idle != previous?.idle { idle.record(now.idle) }
        if now.connecting != previous?.connecting { connecting.record(now.connecting) }
        if now.waiting != previous?.waiting { waiters.record(now.waiting) }
    }
}
