// Runner tests of health: circuit breaker, eviction, keep-alive and idle close, with a fake factory.
import Testing
@testable import ConnectionPool

@Suite("ConnectionPool runner: health")
struct ConnectionPoolHealthTests {
    @Test func circuitBreakerFailsFastWhileTheFactoryFailsAndRecovers() async throws {
        var configuration = ConnectionPoolConfiguration()
        configuration.timeouts.leaseTimeout = .seconds(30)
        configuration.backoff = .init(initial: .milliseconds(5), maximum: .milliseconds(20))
        let factory = FakeConnectionFactory()
        factory.failConnects(with: TestError())
        try await withPool(configuration, factory: factory) { pool in
            let start = ContinuousClock.now
            let first = try await #require(throws: ConnectionPoolError.self) {
                try await pool.withSharedConnection { _ in }
            }
            #expect(first == .circuitOpen, "the waiter is failed when the circuit opens, not after 30 s")
            #expect(first.underlying as? TestError == TestError())
            #expect(start.duration(to: .now) < .seconds(5))

            let fastStart = ContinuousClock.now
            let fast = try await #require(throws: ConnectionPoolError.self) {
                try await pool.withExclusiveConnection { _ in }
            }
            #expect(fast == .circuitOpen)
            #expect(fastStart.duration(to: .now) < .seconds(1))
            let attemptsWhileOpen = factory.attempts
            #expect(await eventually { factory.attempts > attemptsWhileOpen }, "the pool keeps retrying")

            factory.failConnects(with: nil)
            let recovered = await eventually {
                (try? await pool.withSharedConnection { _ in true }) == true
            }
            #expect(recovered)
        }
    }

    @Test func brokenConnectionIsReplaced() async throws {
        let factory = FakeConnectionFactory()
        try await withPool(ConnectionPoolConfiguration(), factory: factory) { pool in
            let first = try await pool.withSharedConnection { $0 }
            first.fail(TestError(text: "reset by peer"))
            #expect(await eventually { factory.connections.count == 2 && pool.statistics.idle == 1 })
            let second = try await pool.withSharedConnection { $0 }
            #expect(second !== first)
            #expect(second.id == 1)
        }
    }

    @Test func keepAliveChecksIdleConnectionsAndFailuresReplaceThem() async throws {
        var configuration = ConnectionPoolConfiguration()
        configuration.timeouts.keepAliveInterval = .milliseconds(10)
        let factory = FakeConnectionFactory()
        try await withPool(configuration, factory: factory) { _ in
            #expect(await eventually { factory.keepAlives >= 2 })
            factory.failKeepAlives(with: TestError(text: "no PONG"))
            #expect(await eventually { factory.connections.count >= 2 })
            #expect(factory.connections[0].isClosed)
            factory.failKeepAlives(with: nil)
        }
    }

    @Test func idleConnectionsAboveTheMinimumClose() async throws {
        var configuration = ConnectionPoolConfiguration()
        configuration.connections = .init(minimum: 1, maximum: 2, sharedUsersBeforeGrowing: 1)
        configuration.timeouts.idleTimeout = .milliseconds(30)
        configuration.timeouts.keepAliveInterval = nil
        let factory = FakeConnectionFactory()
        try await withPool(configuration, factory: factory) { pool in
            #expect(await eventually { pool.statistics.idle == 1 })
            try await pool.withSharedConnection { _ in
                try await pool.withSharedConnection { _ in
                    #expect(await eventually { pool.statistics.connecting == 0 && factory.connections.count == 2 })
                }
            }
            #expect(await eventually { factory.connections.filter(\.isClosed).count == 1 })
            #expect(pool.statistics.idle == 1)
        }
    }
}
