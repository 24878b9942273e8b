// RevocationProbeTests: when a revoked family's token counts as refused everywhere, late acceptances, the statistics.

import Testing

@testable import session_bench

@Suite struct RevocationProbeTests {
    private let start = ContinuousClock.now

    private func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test func propagatedOnceEveryInstanceRefusesInItsLatestAnswer() {
        var probe = RevocationProbe(start: start, expectedInstances: 3)
        #expect(probe.record(instance: "app1", refused: true, sentAt: at(0), receivedAt: at(2)) == .pending)
        #expect(probe.nextAt == at(20))
        #expect(probe.record(instance: "app2", refused: false, sentAt: at(50), receivedAt: at(52)) == .pending)
        #expect(probe.lastAccepted == .milliseconds(50))
        #expect(probe.record(instance: "app3", refused: true, sentAt: at(100), receivedAt: at(103)) == .pending)
        #expect(probe.record(instance: "app2", refused: true, sentAt: at(150), receivedAt: at(154)) == .propagated(.milliseconds(154)))
    }

    @Test func anAcceptanceAfterARefusalReopensThatInstance() {
        var probe = RevocationProbe(start: start, expectedInstances: 2)
        _ = probe.record(instance: "app1", refused: true, sentAt: at(0), receivedAt: at(1))
        #expect(probe.record(instance: "app1", refused: false, sentAt: at(50), receivedAt: at(51)) == .pending)
        #expect(probe.record(instance: "app2", refused: true, sentAt: at(100), receivedAt: at(101)) == .pending)
        #expect(probe.record(instance: "app1", refused: true, sentAt: at(150), receivedAt: at(152)) == .propagated(.milliseconds(152)))
    }

    @Test func acceptanceIsAViolationOnlyWhenSentAfterTheLimit() {
        var probe = RevocationProbe(start: start, expectedInstances: 3)
        #expect(probe.record(instance: "app1", refused: false, sentAt: at(1000), receivedAt: at(1100)) == .pending)
        #expect(probe.record(instance: "app1", refused: false, sentAt: at(1001), receivedAt: at(1002))
            == .acceptedLate(instance: "app1", after: .milliseconds(1001)))
        #expect(!probe.isOver(at: at(1999)) && probe.isOver(at: at(2000)))
    }

    @Test func atLeastOneInstanceIsExpected() {
        var probe = RevocationProbe(start: start, expectedInstances: 0)
        #expect(probe.record(instance: "app1", refused: true, sentAt: at(0), receivedAt: at(5)) == .propagated(.milliseconds(5)))
    }

    @Test func statistics() throws {
        #expect(RevocationStats(milliseconds: []) == nil)
        let one = try #require(RevocationStats(milliseconds: [12.3456]))
        #expect(one.p50 == 12.346 && one.p99 == 12.346 && one.max == 12.346)
        let hundred = try #require(RevocationStats(milliseconds: (1...100).reversed().map(Double.init)))
        #expect(hundred.p50 == 50 && hundred.p99 == 99 && hundred.max == 100)
        let three = try #require(RevocationStats(milliseconds: [3, 1, 2]))
        #expect(three.p50 == 2 && three.p99 == 3 && three.max == 3)
        #expect(RevocationStats.milliseconds(.microseconds(1500)) == 1.5)
    }
}
