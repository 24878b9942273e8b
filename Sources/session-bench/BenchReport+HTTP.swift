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

    /// `GET /me` (a session loaded from Redis) against `GET /ping` (no session), same users, same client path.
    struct MeVsPing: Encodable {
        let ping_ops_per_sec: Double
        let me_ops_per_sec: Double
        /// me_ops_per_sec / ping_ops_per_sec, to three decimals (0 when ping made no operation).
        let ratio: Double
        /// The comparison's GET /ping figures.
        let ping: Endpoint
        /// The comparison's GET /me figures (kept apart from the journeys' "GET /me" in per_endpoint).
        let me: Endpoint

        init(ping: Endpoint, me: Endpoint) {
            self.ping = ping
            self.me = me
            ping_ops_per_sec = ping.ops_per_sec
            me_ops_per_sec = me.ops_per_sec
            ratio = ping.ops_per_sec > 0 ? (me.ops_per_sec / ping.ops_per_sec * 1000).rounded() / 1000 : 0
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
            if let me_vs_ping { add("GET /me (compared with ping)", me_vs_ping.me) }
            let comparedFigures = [bearer_vs_ping.map { [$0.ping, $0.bearer] }, refresh_vs_me.map { [$0.me, $0.refresh] }].compactMap { $0 }.joined()
            for (name, endpoint) in zip(compared, comparedFigures) { add(name, endpoint) }
        }
        if let me_vs_ping {
            lines.append(String(format: "me vs ping           GET /me %.0f ops/s, GET /ping %.0f ops/s: ratio %.3f (target >= 0.85)",
                                me_vs_ping.me_ops_per_sec, me_vs_ping.ping_ops_per_sec, me_vs_ping.ratio))
        }
        lines += tokensLines()
        if let checks {
            lines.append("checks               \(checks.renewed_away_probed) renewed-away tokens probed after the grace, "
                + "\(checks.sessions_verified) held sessions verified, \(checks.logged_out_probed) logged-out tokens probed")
        }
        if let instances_seen { lines.append("instances seen       \(instances_seen.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
