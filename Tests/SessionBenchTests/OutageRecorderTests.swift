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
        server.freeze()
        try await Task.sleep(for: .milliseconds(500))
        server.thaw()
        try await Task.sleep(for: .milliseconds(300))
        watcher.cancel()
        await watcher.value
        await server.stop()
        let intervals = recorder.redisIntervals.withLock { $0 }
        #expect(intervals.count == 1)
        let outage = try #require(intervals.last?.back.map { $0 - intervals[0].down })
        #expect(outage >= 300 && outage < 1500, "\(outage) ms")
    }
}
