// OutageRecorder: what the http bench saw of failures over time, and (optionally) when Redis stopped and resumed answering.

import Foundation
import HiredisClient
import Synchronization

/// Every request's outcome, reduced to what an outage report needs: 5xx by status, transport errors, when the
/// failed requests started, and the slowest request. Shared by all virtual users (one small lock per request).
final class OutageRecorder: Sendable {
    private struct State {
        var statuses: [Int: Int] = [:]
        var transportErrors = 0
        /// When each failed request started (wall-clock ms): the first and last, and recovery after one outage.
        var failureStarts: [Double] = []
        var slowest: Double = 0
    }

    private let state = Mutex(State())
    /// When Redis stopped and resumed answering (`--watch-redis`), in wall-clock milliseconds.
    let redisIntervals = Mutex<[(down: Double, back: Double?)]>([])
    /// When `--watch-redis` stopped watching (wall-clock ms): the end of an interval Redis never came back from.
    let watchEnded = Mutex<Double?>(nil)

    /// Wall-clock milliseconds since 1970 (comparable across processes on one host).
    static func nowMilliseconds() -> Double { Date().timeIntervalSince1970 * 1000 }

    /// Records one request: started at `start` (wall-clock ms), took `milliseconds`, answered `status` (`nil`: a
    /// transport error or timeout).
    func record(start: Double, milliseconds: Double, status: Int?) {
        state.withLock { state in
            state.slowest = max(state.slowest, milliseconds)
            guard status.map({ $0 >= 500 }) ?? true else { return }
            if let status { state.statuses[status, default: 0] += 1 } else { state.transportErrors += 1 }
            state.failureStarts.append(start)
        }
    }

    /// The report: `nil` when nothing failed and no Redis outage was seen.
    func report() -> BenchReport.Outage? {
        let state = state.withLock { $0 }
        let intervals = redisIntervals.withLock { $0 }
        guard !state.failureStarts.isEmpty || !intervals.isEmpty else { return nil }
        func rounded(_ value: Double) -> Double { value.rounded() }
        let firstFailure = state.failureStarts.min()
        let lastFailure = state.failureStarts.max()
        var outage = BenchReport.Outage(
            failed_requests: state.failureStarts.count,
            status_5xx: Dictionary(uniqueKeysWithValues: state.statuses.map { (String($0.key), $0.value) }),
            transport_errors: state.transportErrors,
            first_failure_at_ms: firstFailure.map(rounded),
            last_failure_at_ms: lastFailure.map(rounded),
            failures_seen_ms: firstFailure.flatMap { first in lastFailure.map { rounded($0 - first) } },
            slowest_request_ms: rounded(state.slowest)
        )
        let end = watchEnded.withLock { $0 } ?? Self.nowMilliseconds()
        if let index = Self.longest(intervals, end: end) {
            let longest = intervals[index]
            outage.redis_down_at_ms = rounded(longest.down)
            outage.redis_back_at_ms = longest.back.map(rounded)
            if let back = longest.back {
                outage.redis_outage_ms = rounded(back - longest.down)
                // Requests that started after Redis answered again (and before its next outage, if any) and still
                // failed: how long recovery took.
                let next = intervals.indices.contains(index + 1) ? intervals[index + 1].down : .infinity
                let lastAfterBack = state.failureStarts.filter { $0 >= back && $0 < next }.max()
                outage.recovery_ms = rounded(max(0, (lastAfterBack ?? back) - back))
            }
        }
        return outage
    }

    /// The index of the outage the report describes: the longest interval, one that Redis never came back from
    /// counting until `end` (when the watching stopped). On a loaded host a PING that misses its 100 ms deadline
    /// records a blip of its own, before the real outage, after it, or at the very end of the run, and must not stand
    /// in for it.
    static func longest(_ intervals: [(down: Double, back: Double?)], end: Double) -> Int? {
        func length(_ index: Int) -> Double { (intervals[index].back ?? end) - intervals[index].down }
        return intervals.indices.max { length($0) < length($1) }
    }

    /// Polls Redis with PING every 10 ms (100 ms deadline) until cancelled, recording when it stops and resumes
    /// answering.
    func watchRedis(url: String) async {
        guard var configuration = try? RedisConnectionConfiguration(url: url) else { return }
        configuration.timeouts.connect = .milliseconds(100)
        configuration.timeouts.command = .milliseconds(100)
        var connection: RedisConnection?
        var down: Double?
        while !Task.isCancelled {
            let at = Self.nowMilliseconds()
            var answered = false
            do {
                if connection == nil || connection!.isClosed {
                    connection = try await RedisConnection.connect(configuration: configuration)
                }
                answered = try await connection!.send(RedisCommand("PING")) == .status("PONG")
            } catch {
                if (error as? RedisError)?.code == .commandTimeout { connection?.close(); connection = nil }
            }
            // The run is over: a PING cut short by the end of the run says nothing about Redis.
            if !answered && Task.isCancelled { break }
            if !answered && down == nil {
                down = at
                redisIntervals.withLock { $0.append((at, nil)) }
            } else if answered, down != nil {
                down = nil
                redisIntervals.withLock { $0[$0.count - 1].back = at }
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        watchEnded.withLock { $0 = Self.nowMilliseconds() }
        connection?.close()
    }
}
