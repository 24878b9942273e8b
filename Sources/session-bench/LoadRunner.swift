// LoadRunner: runs N concurrent tasks against an operation for a fixed time and gathers latencies and errors.

import Foundation
import HiredisClient
import Histogram
import Synchronization

/// What a run measured.
struct LoadResult: Sendable {
    var operations = 0
    var errors = 0
    var elapsedSeconds = 0.0
    /// Latencies in microseconds.
    var latencies = LoadResult.makeHistogram()
    var firstErrors: [String] = []
    /// The same figures per label, for operations that say what they did (the http mode's "GET /me", …); empty
    /// when the operation gives no labels.
    var labelled: [String: LabelledResult] = [:]

    /// The histogram every latency is recorded in: microseconds up to one minute, three significant digits.
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }
}

/// What a run measured for one label.
struct LabelledResult: Sendable {
    var operations = 0
    var errors = 0
    /// Latencies in microseconds.
    var latencies = LoadResult.makeHistogram()

    /// Counts one successful operation that took `micros` microseconds.
    mutating func record(_ micros: UInt64) {
        operations += 1
        _ = latencies.record(micros)
    }
}

/// An operation's failure attributed to a label: counted as an error of that label (and of the run).
struct LabelledFailure: Error, CustomStringConvertible {
    let label: String
    let message: String

    var description: String { "\(label): \(message)" }
}

/// What one call of a labelled operation did.
enum LoadStep: Sendable {
    /// An operation, also recorded under its label when it has one.
    case done(String?)
    /// Nothing to do yet (waiting for a free login slot, say): neither counted nor timed. The operation itself
    /// waits a little before returning this, so the worker does not spin.
    case idle
}

/// Runs `concurrency` tasks, each calling `operation` in a loop until `duration` has passed.
struct LoadRunner: Sendable {
    let concurrency: Int
    let duration: Duration
    /// Prints a live progress line on standard error when it is a terminal.
    let showProgress: Bool
    /// Where the tasks run: worker `i` prefers `executors[i % count]` (the client's event loops, as a server's
    /// handlers would); empty: Swift's global executor.
    var executors: [EventLoopTaskExecutor] = []

    func run(_ operation: @escaping @Sendable (_ worker: Int, _ iteration: Int) async throws -> Void) async -> LoadResult {
        await run(workers: { $0 }) { worker, iteration in
            try await operation(worker, iteration)
            return .done(nil)
        }.result
    }

    /// Runs with per-worker state and labelled operations.
    ///
    /// Each task owns one `Worker` made by `makeWorker(index)` and passes it `inout` to every call of its operation;
    /// the states are handed back at the end (in worker order) for checks that need them. An operation that returns
    /// `.done(label)` has its latency recorded under it as well; one that throws ``LabelledFailure`` counts as an error of
    /// that label. Labelled figures are gathered in one shared table behind a lock (a histogram per label and
    /// worker would cost hundreds of megabytes with hundreds of workers).
    func run<Worker: Sendable>(
        workers makeWorker: @escaping @Sendable (_ worker: Int) -> Worker,
        _ operation: @escaping @Sendable (_ state: inout Worker, _ iteration: Int) async throws -> LoadStep
    ) async -> (result: LoadResult, workers: [Worker]) {
        let completed = Completed()
        let start = ContinuousClock.now
        let end = start.advanced(by: duration)
        let progress = showProgress ? Task { await Self.reportProgress(completed: completed, start: start, end: end) } : nil
        var (total, states) = await withTaskGroup(of: (Int, LoadResult, Worker).self) { group in
            for worker in 0..<concurrency {
                let executor: (any TaskExecutor)? = executors.isEmpty ? nil : executors[worker % executors.count]
                group.addTask(executorPreference: executor) {
                    var state = makeWorker(worker)
                    var result = LoadResult()
                    var iteration = 0
                    var unreported = 0
                    while true {
                        let began = ContinuousClock.now
                        if began >= end { break }
                        do {
                            guard case .done(let label) = try await operation(&state, iteration) else { continue }
                            result.operations += 1
                            let (seconds, attoseconds) = (ContinuousClock.now - began).components
                            let micros = UInt64(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
                            _ = result.latencies.record(micros)
                            if let label {
                                completed.labelled.withLock { $0[label, default: LabelledResult()].record(micros) }
                            }
                        } catch {
                            result.errors += 1
                            if result.firstErrors.count < 3 { result.firstErrors.append("\(error)") }
                            if let failure = error as? LabelledFailure {
                                completed.labelled.withLock { $0[failure.label, default: LabelledResult()].errors += 1 }
                            }
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
                    return (worker, result, state)
                }
            }
            var total = LoadResult()
            var states: [(Int, Worker)] = []
            for await (worker, partial, state) in group {
                total.operations += partial.operations
                total.errors += partial.errors
                total.latencies.add(partial.latencies)
                total.firstErrors += partial.firstErrors.prefix(max(0, 3 - total.firstErrors.count))
                states.append((worker, state))
            }
            return (total, states.sorted { $0.0 < $1.0 }.map(\.1))
        }
        total.elapsedSeconds = Self.seconds(ContinuousClock.now - start)
        total.labelled = completed.labelled.withLock { $0 }
        progress?.cancel()
        _ = await progress?.value
        return (total, states)
    }

    /// What the workers share while running: the progress count and the labelled figures.
    private final class Completed: Sendable {
        let count = Atomic<Int>(0)
        let labelled = Mutex<[String: LabelledResult]>([:])
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
