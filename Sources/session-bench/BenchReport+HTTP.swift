// BenchReport+HTTP: the http mode's additions to the report: per-endpoint figures, me against ping, checks.

import Foundation

extension BenchReport {
    /// The figures of one endpoint (or of one comparison phase).
    struct Endpoint: Encodable {
        let count: Int
        let errors: Int
        let ops_per_sec: Double
        let latency_ms: Latency

        init(_ result: LabelledResult, elapsedSeconds: Double) {
            count = result.operations
            errors = result.errors
            ops_per_sec = (Double(result.operations) / max(elapsedSeconds, 0.001)).rounded()
            latency_ms = Latency(result.latencies)
        }
    }

    /// Two endpoints measured at the same concurrency on the same client path, alternating (see the workloads):
    /// `value` against `base`. Encoded with the sides' names: `{"<base>_ops_per_sec", "<value>_ops_per_sec", "ratio",
    /// "<base>": Endpoint, "<value>": Endpoint}`, e.g. `me_vs_ping` is `{"ping_ops_per_sec", "me_ops_per_sec",
    /// "ratio", "ping", "me"}`.
    struct Comparison: Encodable {
        /// The JSON name of each side.
        let baseName: String
        let valueName: String
        let base: Endpoint
        let value: Endpoint
        /// value ops/s ÷ base ops/s, to three decimals (0 when the base made no operation).
        let ratio: Double

        init(_ valueName: String, _ value: Endpoint, against baseName: String, _ base: Endpoint) {
            (self.valueName, self.value, self.baseName, self.base) = (valueName, value, baseName, base)
            ratio = BenchReport.ratio(value.ops_per_sec, to: base.ops_per_sec)
        }

        private struct Key: CodingKey {
            let stringValue: String
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(base.ops_per_sec, forKey: Key(baseName + "_ops_per_sec"))
            try container.encode(value.ops_per_sec, forKey: Key(valueName + "_ops_per_sec"))
            try container.encode(ratio, forKey: Key("ratio"))
            try container.encode(base, forKey: Key(baseName))
            try container.encode(value, forKey: Key(valueName))
        }

        /// The table line: `<label> <value path> N ops/s, <base path> N ops/s: ratio R (target >= T)`.
        func line(_ label: String, value path: String, base basePath: String, target: Double) -> String {
            label.padding(toLength: 20, withPad: " ", startingAt: 0) + " \(path) " + String(format: "%.0f", value.ops_per_sec)
                + " ops/s, \(basePath) " + String(format: "%.0f ops/s: ratio %.3f", base.ops_per_sec, ratio) + " (target >= \(target))"
        }
    }

    /// What the checks after the journeys phase covered.
    struct Checks: Encodable {
        /// Renewed-away tokens probed once their grace was over (each must be refused).
        let renewed_away_probed: Int
        /// Sessions still logged in at the end, checked after their renewal (user, counter, preferences).
        let sessions_verified: Int
        /// Logged-out tokens probed (each must be refused), during and after the run.
        let logged_out_probed: Int
    }

    /// The per-endpoint table (and the me/ping line) of the human-readable output, sorted by endpoint.
    func endpointTable() -> String {
        var lines: [String] = []
        if let per_endpoint {
            let compared = (bearer_vs_ping == nil ? [] : ["GET /ping (compared with bearer)", "GET /api/me (compared with ping)"])
                + (refresh_vs_me == nil ? [] : ["GET /me (compared with refresh)", "POST /token/refresh (compared with me)"])
            let width = max(24, ((Array(per_endpoint.keys) + compared).map(\.count).max() ?? 0) + 2)
            func row(_ name: String, _ values: [String]) -> String {
                name.padding(toLength: width, withPad: " ", startingAt: 0)
                    + values.map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined()
            }
            lines.append(row("endpoint", ["count", "errors", "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"]))
            func add(_ name: String, _ endpoint: Endpoint) {
                let latency = endpoint.latency_ms
                lines.append(row(name, ["\(endpoint.count)", "\(endpoint.errors)", String(format: "%.0f", endpoint.ops_per_sec)]
                    + [latency.p50, latency.p90, latency.p99, latency.p999, latency.max].map { String(format: "%.2f", $0) }))
            }
            for name in per_endpoint.keys.sorted() { add(name, per_endpoint[name]!) }
            if let me_vs_ping { add("GET /me (compared with ping)", me_vs_ping.value) }
            let comparedFigures = [bearer_vs_ping, refresh_vs_me].compactMap { $0 }.map { [$0.base, $0.value] }.joined()
            for (name, endpoint) in zip(compared, comparedFigures) { add(name, endpoint) }
        }
        if let me_vs_ping { lines.append(me_vs_ping.line("me vs ping", value: "GET /me", base: "GET /ping", target: 0.85)) }
        lines += tokensLines()
        if let checks {
            lines.append("checks               \(checks.renewed_away_probed) renewed-away tokens probed after the grace, "
                + "\(checks.sessions_verified) held sessions verified, \(checks.logged_out_probed) logged-out tokens probed")
        }
        if let instances_seen { lines.append("instances seen       \(instances_seen.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
