// LoadRunner: runs N concurrent tasks against an operation for a fixed time and gathers latencies and errors.

import Foundation
import Histogram
import Synchronization

/// What a run measured.
struct LoadResult: Sendable {
    var operations = 0
    var errors = 0
    var elapsedSeconds = 0.0
    /// Latencies in microseconds.
    var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var firstErrors: [String] = []
}

/// Runs `concurrency` tasks, each calling `operation` in a loop until `duration` has passed.
struct LoadRunner: Sendable {
    let concurrency: Int
    let duration: Duration
    /// Prints a live progress line on standard error when it is a terminal.
    let showProgress: Bool

    func run(_ operation: @escaping @Sendable (_ worker: Int, _ iteration: Int) async throws -> Void) async -> LoadResult {
        let completed = Completed()
        let start = ContinuousClock.now
        let end = start.advanced(by: duration)
        let progress = showProgress ? Task { await Self.reportProgress(completed: completed, start: start, end: end) } : nil
        var total = await withTaskGroup(of: LoadResult.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var result = LoadResult()
                    var iteration = 0
                    var unreported = 0
                    while true {
                        let began = ContinuousClock.now
                        if began >= end { break }
                        do {
                            try await operation(worker, iteration)
                            result.operations += 1
                            let (seconds, attoseconds) = (ContinuousClock.now - began).components
                            _ = result.latencies.record(UInt64(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
                        } catch {
                            result.errors += 1
                            if result.firstErrors.count < 3 { result.firstErrors.append("\(error)") }
                            // Do not spin while the server is unreachable.
                            try? await Task.sleep(for: .milliseconds(10))
                        }
                        iteration += 1
                        unreported += 1
                        if unreported == 128 {
                            completed.count.add(unreported, ordering: .relaxed)
                            unreported = 0
                        }
                    }
                    return result
                }
            }
            var total = LoadResult()
            for await partial in group {
                total.operations += partial.operations
                total.errors += partial.errors
                total.latencies.add(partial.latencies)
                total.firstErrors += partial.firstErrors.prefix(max(0, 3 - total.firstErrors.count))
            }
            return total
        }
        total.elapsedSeconds = Self.seconds(ContinuousClock.now - start)
        progress?.cancel()
        _ = await progress?.value
        return total
    }

    private final class Completed: Sendable {
        let count = Atomic<Int>(0)
    }

    private static func reportProgress(completed: Completed, start: ContinuousClock.Instant, end: ContinuousClock.Instant) async {
        var last = (time: start, count: 0)
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = ContinuousClock.now
            let count = completed.count.load(ordering: .relaxed)
            let rate = Double(count - last.count) / max(seconds(now - last.time), 0.001)
            let elapsed = min(seconds(now - start), seconds(end - start))
            FileHandle.standardError.write(String(format: "\r  %5.1fs elapsed  %10.0f ops/s   ", elapsed, rate).data(using: .utf8)!)
            last = (now, count)
        }
        FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
