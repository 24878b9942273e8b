// Runner tests of metrics, with MetricsTestKit's TestMetrics injected through the configuration.
import MetricsTestKit
import Testing
@testable import ConnectionPool

/// Each test injects its own `TestMetrics` through `configuration.metrics.factory`,
/// so nothing bootstraps the process-wide `MetricsSystem`.
@Suite("ConnectionPool metrics")
struct ConnectionPoolMetricsTests {
    @Test func gaugesAndWaitTimeAreRecorded() async throws {
        let metrics = TestMetrics()
        var configuration = ConnectionPoolConfiguration()
        configuration.connections = .init(minimum: 1, maximum: 1)
        configuration.metrics = .init(labelPrefix: "test_pool", factory: metrics)
        func connections(_ state: String) -> Double? {
            try? metrics.expectGauge("test_pool_connections", [("state", state)]).lastValue
        }
        try await withPool(configuration) { pool in
            #expect(await eventually { connections("idle") == 1 })
            try await pool.withExclusiveConnection { _ in
                #expect(connections("leased") == 1)
                #expect(connections("idle") == 0)
                await #expect(throws: ConnectionPoolError.leaseTimeout) {
                    try await pool.withSharedConnection(timeout: .milliseconds(30)) { _ in }
                }
            }
            try await pool.withSharedConnection { _ in
                #expect(connections("shared") == 1)
            }
        }
        let waiters = try metrics.expectGauge("test_pool_waiters")
        #expect(waiters.values.contains(1))
        #expect(waiters.lastValue == 0)
        let waitTime = try metrics.expectTimer("test_pool_wait_time")
        #expect(waitTime.values.count == 3, "every lease is timed, those served at once with 0")
        #expect(waitTime.values.filter { $0 == 0 }.count == 2)
        #expect(waitTime.values.contains { $0 >= 30_000_000 })
        #expect(try metrics.expectGauge("test_pool_circuit_open").lastValue == 0)
        for state in ["leased", "shared", "idle", "connecting"] {
            #expect(connections(state) == 0, "after shutdown no connection is left in state \(state)")
        }
    }

    @Test func connectFailuresAreCounted() async throws {
        let metrics = TestMetrics()
        var configuration = ConnectionPoolConfiguration()
        configuration.metrics = .init(labelPrefix: "failing_pool", factory: metrics)
        configuration.backoff = .init(initial: .milliseconds(1), maximum: .milliseconds(5))
        let factory = FakeConnectionFactory()
        factory.failConnects(with: TestError())
        try await withPool(configuration, factory: factory) { _ in
            #expect(await eventually {
                ((try? metrics.expectCounter("failing_pool_connect_failures"))?.totalValue ?? 0) >= 3
            })
            #expect(await eventually {
                (try? metrics.expectGauge("failing_pool_connections", [("state", "connecting")]))?.lastValue == 1
            })
        }
    }
}
