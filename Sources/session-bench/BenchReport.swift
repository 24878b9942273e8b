// BenchReport: the stable JSON contract of every bench mode, and the human-readable table.

import Foundation
import Histogram

/// One run's report. The JSON field names are a contract other tools rely on: do not rename them.
struct BenchReport: Encodable {
    struct Latency: Encodable {
        let p50: Double
        let p90: Double
        let p99: Double
        let p999: Double
        let max: Double

        /// The percentiles of a histogram of microseconds, in milliseconds to the microsecond.
        init(_ histogram: Histogram<UInt64>) {
            func ms(_ micros: UInt64) -> Double { (Double(micros) / 1000 * 1000).rounded() / 1000 }
            p50 = ms(histogram.valueAtPercentile(50))
            p90 = ms(histogram.valueAtPercentile(90))
            p99 = ms(histogram.valueAtPercentile(99))
            p999 = ms(histogram.valueAtPercentile(99.9))
            max = ms(histogram.max)
        }
    }

    let mode: String
    let workload: String
    let concurrency: Int
    let connections: Int
    let duration_s: Double
    let ops: Int
    let ops_per_sec: Double
    let latency_ms: Latency
    /// Failed operations (mutable: the http mode adds the failures of its untimed checks).
    var errors: Int
    /// Consistency violations found by the store and http modes (must be 0); absent in the redis mode.
    var violations: Int?
    /// Redis memory per session after creating the population (store mode on Redis only).
    var redis_bytes_per_session: Int?
    /// On a Redis Cluster: commands sent to each node during the run, by `host:port`.
    var per_node: [String: Int]?
    /// On a Redis Cluster: redirections and retries followed during the run, by reply (`MOVED`, `ASK`, `TRYAGAIN`,
    /// `CLUSTERDOWN`).
    var redirections: [String: Int]?
    /// store mode, `--watch-promotion`: when a watched replica was promoted and when the client was served again.
    var failover: FailoverWatch.Report?
    /// store mode: the first few errors, when there were any.
    var error_examples: [String]?
    /// http mode: figures per endpoint ("GET /me", "POST /login", …).
    var per_endpoint: [String: Endpoint]?
    /// http mode, `all` workload: GET /me against GET /ping at the same concurrency.
    var me_vs_ping: Comparison?
    /// http mode, `tokens` workload: GET /api/me with a bearer token against GET /ping at the same concurrency.
    var bearer_vs_ping: Comparison?
    /// http mode, `tokens` workload: POST /token/refresh against GET /me with a session cookie.
    var refresh_vs_me: Comparison?
    /// http mode, `tokens` workload: what the token journeys did and found.
    var tokens: Tokens?
    /// http mode: journeys completed (journeys, all and tokens workloads).
    var journeys: Int?
    /// http mode: the checks made after the run.
    var checks: Checks?
    /// http mode: the distinct X-Instance values seen, sorted.
    var instances_seen: [String]?
    /// http mode: the failures seen over time (present when a request failed or `--watch-redis` saw Redis down).
    var outage: Outage?

    /// What the http bench saw of an outage; times are wall-clock milliseconds since 1970.
    struct Outage: Encodable {
        /// Requests that failed with a 5xx or a transport error (timeouts included).
        let failed_requests: Int
        /// The 5xx statuses seen, by status ("503": n).
        let status_5xx: [String: Int]
        let transport_errors: Int
        /// When the first and the last failed request started, and the time between them.
        let first_failure_at_ms: Double?
        let last_failure_at_ms: Double?
        let failures_seen_ms: Double?
        /// The slowest request of the run, failed or not: none may hang past its deadline.
        let slowest_request_ms: Double
        /// `--watch-redis`: the longest time Redis did not answer PING (one it never came back from counting until the
        /// end of the run): when it started, when Redis answered again, and how long it was out.
        var redis_down_at_ms: Double?
        var redis_back_at_ms: Double?
        var redis_outage_ms: Double?
        /// How long after Redis answered again (and before its next outage) requests still failed (0: none did).
        var recovery_ms: Double?
    }

    init(mode: String, workload: String, concurrency: Int, connections: Int, result: LoadResult) {
        self.mode = mode
        self.workload = workload
        self.concurrency = concurrency
        self.connections = connections
        self.duration_s = (result.elapsedSeconds * 1000).rounded() / 1000
        self.ops = result.operations
        self.ops_per_sec = (Double(result.operations) / max(result.elapsedSeconds, 0.001)).rounded()
        self.latency_ms = Latency(result.latencies)
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
            + (journeys.map { [("journeys", "\($0)")] } ?? [])
            + (per_node.map { $0.sorted { $0.key < $1.key }.map { ("commands \($0.key)", "\($0.value)") } } ?? [])
            + (redirections.map { $0.sorted { $0.key < $1.key }.map { ("redirections \($0.key)", "\($0.value)") } } ?? [])
            + (failover.map { failover in [
                ("promoted", failover.promoted ?? "none"),
                ("followed after", failover.followed_after_promotion_ms.map { "\(Int($0)) ms" } ?? "never"),
                ("longest probe gap", "\(Int(failover.longest_probe_gap_ms)) ms"),
                ("probe rounds failed", "\(failover.probe_rounds_failed) of \(failover.probe_rounds)"),
            ] } ?? [])
        return rows.map { $0.0.padding(toLength: 21, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }
}
