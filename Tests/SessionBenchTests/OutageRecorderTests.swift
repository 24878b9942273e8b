// OutageRecorderTests: --watch-redis records only what Redis did, not the end of the run.

import EmbeddedRedis
import Testing

@testable import session_bench

@Suite struct OutageRecorderTests {
    @Test("a PING cut short by the end of the run is not an outage")
    func cancelledPingIsNotAnOutage() async throws {
        let server = try await RedisServerProcess.start()
        server.freeze()
        let recorder = OutageRecorder()
        let watcher = Task { await recorder.watchRedis(url: server.url) }
        try await Task.sleep(for: .milliseconds(30))
        watcher.cancel()
        await watcher.value
        server.thaw()
        await server.stop()
        #expect(recorder.redisIntervals.withLock { $0.isEmpty })
    }

    @Test("a frozen Redis is seen down, then back")
    func frozenRedisIsSeen() async throws {
        let server = try await RedisServerProcess.start()
        let recorder = OutageRecorder()
        let watcher = Task { await recorder.watchRedis(url: server.url) }
        try await Task.sleep(for: .milliseconds(100))
        let frozeAt = OutageRecorder.nowMilliseconds()
        server.freeze()
        try await Task.sleep(for: .milliseconds(500))
        let thawedAt = OutageRecorder.nowMilliseconds()
        server.thaw()
        try await Task.sleep(for: .milliseconds(300))
        watcher.cancel()
        await watcher.value
        await server.stop()
        // A slow PING on a loaded host may add an interval of its own; the freeze must be one of them. `down` is when
        // the first unanswered PING was sent: possibly just before the freeze, within its 100 ms deadline (as `back`).
        let intervals = recorder.redisIntervals.withLock { $0 }
        let freeze = intervals.first { $0.down >= frozeAt - 150 && $0.down <= thawedAt }
        let back = try #require(freeze?.back, "\(intervals)")
        // `back` is when the first answered PING was sent: within its 100 ms deadline before the thaw, or after it.
        #expect(back >= thawedAt - 150, "\(intervals)")
    }

    @Test("the report describes the longest outage: a slow PING's blip before it, after it or at the end is not it")
    func reportTakesTheLongestInterval() {
        let recorder = OutageRecorder()
        recorder.redisIntervals.withLock {
            $0 = [(down: 500, back: 610), (down: 1_000, back: 4_000), (down: 6_000, back: 6_112), (down: 9_900, back: nil)]
        }
        recorder.watchEnded.withLock { $0 = 10_000 }
        for start in [1_500.0, 4_050, 6_050] { recorder.record(start: start, milliseconds: 3, status: 503) }
        let outage = recorder.report()
        #expect(outage?.redis_down_at_ms == 1_000)
        #expect(outage?.redis_back_at_ms == 4_000)
        #expect(outage?.redis_outage_ms == 3_000)
        #expect(outage?.recovery_ms == 50, "the failure during the later blip is not recovery from this outage")
        recorder.watchEnded.withLock { $0 = 14_000 }
        #expect(recorder.report()?.redis_down_at_ms == 9_900, "Redis never came back, for longer: that outage is the one")
        #expect(recorder.report()?.redis_outage_ms == nil)
    }
}
