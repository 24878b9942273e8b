// Tests of the small helpers: error messages, duration text, back-off policy, deadline heap.
import Testing
@testable import ConnectionPool

@Suite("Support")
struct SupportTests {
    @Test func errorsCompareByKind() {
        #expect(ConnectionPoolError.leaseTimeout == .leaseTimeout)
        #expect(ConnectionPoolError.leaseTimeout != .circuitOpen)
        #expect(ConnectionPoolError.shutdown.description.contains("shutting down"))
        let context = ConnectionPoolError.Context(
            timeout: .milliseconds(1500),
            statistics: PoolStatistics(leased: 3, shared: 5, connecting: 0, waiting: 12),
            maximum: 8,
            consecutiveFailures: 0
        )
        let error = ConnectionPoolError.leaseTimeout(context, lastConnectError: TestError())
        #expect(error == .leaseTimeout)
        #expect(error.description.hasPrefix("no connection within 1.5s (8 of 8 connections busy, 12 waiting)"))
        #expect(error.description.hasSuffix("last connection error: connection refused"))
    }

    @Test(arguments: [
        (Duration.milliseconds(1500), "1.5s"), (.seconds(5), "5s"), (.milliseconds(250), "250ms"),
        (.microseconds(12), "12µs"), (.milliseconds(1250), "1.25s"), (.milliseconds(60_010), "60.01s"),
    ])
    func durationsReadShort(duration: Duration, text: String) {
        #expect(duration.poolDescription == text)
    }

    @Test func backoffStaysWithinJitterAndCap() {
        var settings = ConnectionPoolConfiguration.Backoff()
        settings.jitter = 0.5
        let low = BackoffPolicy(settings, randomUnit: { 0 })
        let high = BackoffPolicy(settings, randomUnit: { 0.999_999 })
        #expect(low.delay(afterFailures: 1) == .milliseconds(25))
        #expect(high.delay(afterFailures: 1) == .nanoseconds(74_999_950))
        #expect(high.delay(afterFailures: 50) == .seconds(5), "jitter never exceeds the maximum")
        #expect(low.delay(afterFailures: 50) == .milliseconds(2500))
    }

    @Test func deadlineHeapPopsInDeadlineThenIDOrder() {
        var heap = DeadlineHeap<Int>()
        for (deadline, id) in [(5, 1), (3, 2), (9, 3), (3, 4), (1, 5), (7, 6)] {
            heap.insert(deadline, id: id)
        }
        var order: [Int] = []
        while let entry = heap.popMin() { order.append(entry.id) }
        #expect(order == [5, 2, 4, 1, 6, 3])
    }
}
