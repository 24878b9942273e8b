// BenchReport+Tokens: the tokens workload's additions to the report: bearer against ping, refresh against me, journeys.

import Foundation

extension BenchReport {
    /// The targets printed next to the tokens workload's ratios: bearer `GET /api/me` against `GET /ping`, and
    /// `POST /token/refresh` against the cookie `GET /me`.
    static let bearerTarget = 0.9
    static let refreshTarget = 0.5

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
            lines.append(bearer_vs_ping.line("bearer vs ping", value: "GET /api/me", base: "GET /ping", target: Self.bearerTarget))
        }
        if let refresh_vs_me {
            lines.append(refresh_vs_me.line("refresh vs me", value: "POST /token/refresh", base: "GET /me", target: Self.refreshTarget))
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
