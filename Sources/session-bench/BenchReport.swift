// BenchReport: the stable JSON contract of every bench mode, and the human-readable table.

import Foundation

/// One run's report. The JSON field names are a contract other tools rely on: do not rename them.
struct BenchReport: Encodable {
    struct Latency: Encodable {
        let p50: Double
        let p90: Double
        let p99: Double
        let p999: Double
        let max: Double
    }

    let mode: String
    let workload: String
    let concurrency: Int
    let connections: Int
    let duration_s: Double
    let ops: Int
    let ops_per_sec: Double
    let latency_ms: Latency
    let errors: Int
    /// Consistency violations found by the store and http modes (must be 0); absent in the redis mode.
    var violations: Int?
    /// Redis memory per session after creating the population (store mode on Redis only).
    var redis_bytes_per_session: Int?

    init(mode: String, workload: String, concurrency: Int, connections: Int, result: LoadResult) {
        self.mode = mode
        self.workload = workload
        self.concurrency = concurrency
        self.connections = connections
        self.duration_s = (result.elapsedSeconds * 1000).rounded() / 1000
        self.ops = result.operations
        self.ops_per_sec = (Double(result.operations) / max(result.elapsedSeconds, 0.001)).rounded()
        func ms(_ micros: UInt64) -> Double { (Double(micros) / 1000 * 1000).rounded() / 1000 }
        let histogram = result.latencies
        self.latency_ms = Latency(
            p50: ms(histogram.valueAtPercentile(50)),
            p90: ms(histogram.valueAtPercentile(90)),
            p99: ms(histogram.valueAtPercentile(99)),
            p999: ms(histogram.valueAtPercentile(99.9)),
            max: ms(histogram.max)
        )
        self.errors = result.errors
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    func table() -> String {
        let rows: [(String, String)] = [
            ("mode", "\(mode) / \(workload)"),
            ("concurrency", "\(concurrency) tasks on \(connections) connections"),
            ("duration", String(format: "%.2f s", duration_s)),
            ("ops", "\(ops)"),
            ("ops/s", String(format: "%.0f", ops_per_sec)),
            ("latency p50", String(format: "%.3f ms", latency_ms.p50)),
            ("latency p90", String(format: "%.3f ms", latency_ms.p90)),
            ("latency p99", String(format: "%.3f ms", latency_ms.p99)),
            ("latency p99.9", String(format: "%.3f ms", latency_ms.p999)),
            ("latency max", String(format: "%.3f ms", latency_ms.max)),
            ("errors", "\(errors)"),
        ] + (violations.map { [("violations", "\($0)")] } ?? []) + (redis_bytes_per_session.map { [("redis bytes/session", "\($0)")] } ?? [])
        return rows.map { $0.0.padding(toLength: 21, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }
}
