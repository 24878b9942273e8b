// BenchReport+Tokens: the tokens workload's additions to the report: bearer against ping, refresh against me, journeys.

import Foundation

extension BenchReport {
    /// `GET /api/me` with a bearer token (a JWT checked locally) against `GET /ping`, same users, same client path.
    struct BearerVsPing: Encodable {
        let ping_ops_per_sec: Double
        let bearer_ops_per_sec: Double
        /// bearer_ops_per_sec / ping_ops_per_sec, to three decimals (0 when ping made no operation).
        let ratio: Double
        let ping: Endpoint
        let bearer: Endpoint

        /// The target printed next to the ratio.
        static let target = 0.9

        init(ping: Endpoint, bearer: Endpoint) {
            self.ping = ping
            self.bearer = bearer
            ping_ops_per_sec = ping.ops_per_sec
            bearer_ops_per_sec = bearer.ops_per_sec
            ratio = BenchReport.ratio(bearer.ops_per_sec, to: ping.ops_per_sec)
        }
    }

    /// `POST /token/refresh` (each user along its own chain) against `GET /me` with a session cookie.
    struct RefreshVsMe: Encodable {
        let me_ops_per_sec: Double
        let refresh_ops_per_sec: Double
        /// refresh_ops_per_sec / me_ops_per_sec, to three decimals (0 when me made no operation).
        let ratio: Double
        let me: Endpoint
        let refresh: Endpoint

        /// The target printed next to the ratio.
        static let target = 0.5

        init(me: Endpoint, refresh: Endpoint) {
            self.me = me
            self.refresh = refresh
            me_ops_per_sec = me.ops_per_sec
            refresh_ops_per_sec = refresh.ops_per_sec
            ratio = BenchReport.ratio(refresh.ops_per_sec, to: me.ops_per_sec)
        }
    }

    /// What the token journeys did and found.
    struct Tokens: Encodable {
        /// Token journeys completed.
        let journeys: Int
        /// Reuses of a spent refresh token (after the grace) answered 401 invalid_grant.
        let reuse_refused: Int
        /// From the reuse response to the refusal of the revoked family's access token by the last instance, in
        /// milliseconds (absent when no family's revocation was seen on every instance).
        let revocation_ms: Revocation?
        /// The latest probe an instance still accepted, sent that long after the reuse response, in milliseconds (0
        /// when all were refused): the propagation's lower bound, where `revocation_ms` is its upper bound (a
        /// round-robin proxy reaches each instance only now and then). Absent like `revocation_ms`.
        let accepted_after_revocation_ms: Revocation?
        /// Revoked families whose access token was probed to the end.
        let families_probed: Int
        /// Probed families not refused by every instance within the probe's 2 s (not counted in revocation_ms).
        let revocation_unconfirmed: Int

        struct Revocation: Encodable {
            let p50: Double
            let p99: Double
            let max: Double
        }

        init(_ tally: TokenTally) {
            journeys = tally.journeys
            reuse_refused = tally.reuseRefused
            revocation_ms = RevocationStats(milliseconds: tally.revocationMilliseconds).map { .init(p50: $0.p50, p99: $0.p99, max: $0.max) }
            accepted_after_revocation_ms = RevocationStats(milliseconds: tally.acceptedMilliseconds).map { .init(p50: $0.p50, p99: $0.p99, max: $0.max) }
            families_probed = tally.familiesProbed
            revocation_unconfirmed = tally.unconfirmed
        }
    }

    /// `value / base` to three decimals, 0 when `base` is 0 (the construction of every ratio of the report).
    static func ratio(_ value: Double, to base: Double) -> Double {
        base > 0 ? (value / base * 1000).rounded() / 1000 : 0
    }

    /// The tokens workload's lines of the human-readable output.
    func tokensLines() -> [String] {
        var lines: [String] = []
        if let bearer_vs_ping {
            lines.append(String(format: "bearer vs ping       GET /api/me %.0f ops/s, GET /ping %.0f ops/s: ratio %.3f (target >= %.1f)",
                                bearer_vs_ping.bearer_ops_per_sec, bearer_vs_ping.ping_ops_per_sec, bearer_vs_ping.ratio, BearerVsPing.target))
        }
        if let refresh_vs_me {
            lines.append(String(format: "refresh vs me        POST /token/refresh %.0f ops/s, GET /me %.0f ops/s: ratio %.3f (target >= %.1f)",
                                refresh_vs_me.refresh_ops_per_sec, refresh_vs_me.me_ops_per_sec, refresh_vs_me.ratio, RefreshVsMe.target))
        }
        if let tokens {
            lines.append("tokens               \(tokens.journeys) journeys, \(tokens.reuse_refused) reuses refused, "
                + "\(tokens.families_probed) revoked families probed (\(tokens.revocation_unconfirmed) not refused everywhere within 2 s)")
            if let revocation = tokens.revocation_ms {
                lines.append(String(format: "revocation           refused by every instance after p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                                    revocation.p50, revocation.p99, revocation.max))
            }
            if let accepted = tokens.accepted_after_revocation_ms {
                lines.append(String(format: "revocation           last accepted probe sent after p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                                    accepted.p50, accepted.p99, accepted.max))
            }
        }
        return lines
    }
}
