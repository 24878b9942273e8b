// TokensReportTests: the tokens workload's report fields: their names, ratios, and absence from other workloads.

import Foundation
import Testing

@testable import session_bench

@Suite struct TokensReportTests {
    private func endpoint(_ operations: Int) -> BenchReport.Endpoint {
        var result = LabelledResult()
        for _ in 0..<operations { result.record(1000) }
        return BenchReport.Endpoint(result, elapsedSeconds: 1)
    }

    private func object(_ report: BenchReport) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
    }

    @Test func otherWorkloadsHaveNoTokenFields() throws {
        let report = BenchReport(mode: "http", workload: "all", concurrency: 1, connections: 1, result: LoadResult())
        let keys = try object(report).keys
        #expect(!keys.contains("bearer_vs_ping") && !keys.contains("refresh_vs_me") && !keys.contains("tokens"))
        #expect(report.tokensLines().isEmpty)
    }

    @Test func tokenFieldsAndRatios() throws {
        var report = BenchReport(mode: "http", workload: "tokens", concurrency: 1, connections: 1, result: LoadResult())
        report.bearer_vs_ping = .init("bearer", endpoint(950), against: "ping", endpoint(1000))
        report.refresh_vs_me = .init("refresh", endpoint(0), against: "me", endpoint(300))
        var tally = TokenTally()
        tally.journeys = 4
        tally.reuseRefused = 4
        tally.familiesProbed = 3
        tally.unconfirmed = 1
        tally.revocationMilliseconds = [12, 30]
        report.tokens = .init(tally)
        let json = try object(report)
        let bearer = try #require(json["bearer_vs_ping"] as? [String: Any])
        #expect(Set(bearer.keys) == ["ping_ops_per_sec", "bearer_ops_per_sec", "ratio", "ping", "bearer"])
        #expect(bearer["ratio"] as? Double == 0.95)
        let refresh = try #require(json["refresh_vs_me"] as? [String: Any])
        #expect(Set(refresh.keys) == ["me_ops_per_sec", "refresh_ops_per_sec", "ratio", "me", "refresh"])
        #expect(refresh["ratio"] as? Double == 0)
        let tokens = try #require(json["tokens"] as? [String: Any])
        #expect(Set(tokens.keys) == ["journeys", "reuse_refused", "revocation_ms", "families_probed", "revocation_unconfirmed"])
        let revocation = try #require(tokens["revocation_ms"] as? [String: Double])
        #expect(revocation == ["p50": 12, "p99": 30, "max": 30])
        #expect(report.tokensLines().count == 4)
        #expect(report.tokensLines()[0].contains("ratio 0.950 (target >= 0.9)"))
    }

    @Test func revocationAbsentWhenNoneWasMeasured() throws {
        var report = BenchReport(mode: "http", workload: "tokens", concurrency: 1, connections: 1, result: LoadResult())
        report.tokens = .init(TokenTally())
        let tokens = try #require(try object(report)["tokens"] as? [String: Any])
        #expect(tokens["revocation_ms"] == nil && tokens["journeys"] as? Int == 0)
    }
}
