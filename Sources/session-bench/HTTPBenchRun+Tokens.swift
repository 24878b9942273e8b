// HTTPBenchRun+Tokens: the tokens workload's phases: token journeys, then bearer against ping and refresh against me.

import Foundation
import Histogram

extension HTTPBenchRun {
    /// What the tokens workload's phases produced.
    struct TokensOutcome {
        var report: BenchReport
        var latencies: [String: Histogram<UInt64>]
        var compared: [(name: String, latencies: Histogram<UInt64>)]
        var firstErrors: [String]
    }

    /// Token journeys for the duration (their families revoked after, untimed), then two comparisons of
    /// `comparePhase` each: GET /ping against GET /api/me with a bearer token, then GET /me with a session cookie
    /// against POST /token/refresh along each user's own chain.
    func tokensPhases(_ comparePhase: Duration, instances: inout Set<String>, tally: inout VerificationTally) async -> TokensOutcome {
        phase("token journeys: \(users) users for \(duration)")
        let (result, journeyUsers) = await runner(duration.duration).run(workers: newUser) { user, _ in
            try await user.tokenJourneyStep(context: context)
        }
        // Untimed: revoke the families of the journeys the end of the phase cut short.
        let (settled, _) = await Self.forEach(journeyUsers) { user in
            await user.endTokenFamily(context: context)
            return VerificationTally()
        }
        settled.forEach { instances.formUnion($0.instances) }
        let tokenTally = settled.reduce(into: TokenTally()) { $0.add($1.tokenTally) }
        var report = BenchReport(mode: "http", workload: workload.rawValue, concurrency: users, connections: users, result: result)
        report.per_endpoint = result.labelled.mapValues { BenchReport.Endpoint($0, elapsedSeconds: result.elapsedSeconds) }
        report.journeys = tokenTally.journeys
        report.tokens = BenchReport.Tokens(tokenTally)
        var outcome = TokensOutcome(report: report, latencies: result.labelled.mapValues(\.latencies), compared: [], firstErrors: result.firstErrors)
        func take(_ compared: LoadResult) {
            tally.errors += compared.errors
            outcome.firstErrors += compared.firstErrors.prefix(max(0, 3 - outcome.firstErrors.count))
        }

        let holders = await issueChains(tally: &tally)
        let chains = holders.compactMap(\.chain)
        holders.forEach { instances.formUnion($0.instances) }
        let chainUser: @Sendable (Int) -> VirtualUser = { [newUser] index in
            var user = newUser(index)
            user.chain = chains.isEmpty ? nil : chains[index % chains.count]
            return user
        }
        let slice = BenchDuration.text(Self.compareSlice)
        phase("GET /ping and GET /api/me (bearer), alternating every \(slice): \(users) users on \(chains.count) token families for \(BenchDuration.text(comparePhase)) each")
        let bearer = await alternating(
            comparePhase, workers: chainUser,
            first: { user in .done(try await user.ping(context: context)) },
            second: { user in .done(try await user.bearerMe(context: context)) }
        )
        bearer.users.forEach { instances.formUnion($0.instances) }
        take(bearer.result)
        let ping = bearer.result.labelled["GET /ping"] ?? LabelledResult()
        let bearerMe = bearer.result.labelled["GET /api/me"] ?? LabelledResult()
        outcome.report.bearer_vs_ping = BenchReport.Comparison(
            "bearer", BenchReport.Endpoint(bearerMe, elapsedSeconds: bearer.each),
            against: "ping", BenchReport.Endpoint(ping, elapsedSeconds: bearer.each))

        let owners = await logInSessions(tally: &tally)
        let cookieUser = self.sessionUser(owners)
        phase("GET /me (cookie) and POST /token/refresh, alternating every \(slice): \(users) users for \(BenchDuration.text(comparePhase)) each")
        let refresh = await alternating(
            comparePhase,
            workers: { index in
                var user = cookieUser(index)
                user.chain = chains.isEmpty ? nil : chains[index % chains.count]
                return user
            },
            first: { user in .done(try await user.me(context: context)) },
            second: { user in try await user.refreshChain(context: context) }
        )
        refresh.users.forEach { instances.formUnion($0.instances) }
        take(refresh.result)
        await logOut(owners, instances: &instances)
        _ = await Self.forEach(holders) { user in
            await user.revokeChain(context: context)
            return VerificationTally()
        }
        let me = refresh.result.labelled["GET /me"] ?? LabelledResult()
        let refreshed = refresh.result.labelled["POST /token/refresh"] ?? LabelledResult()
        outcome.report.refresh_vs_me = BenchReport.Comparison(
            "refresh", BenchReport.Endpoint(refreshed, elapsedSeconds: refresh.each),
            against: "me", BenchReport.Endpoint(me, elapsedSeconds: refresh.each))
        outcome.compared = [
            ("GET /ping (compared with bearer)", ping.latencies), ("GET /api/me (compared with ping)", bearerMe.latencies),
            ("GET /me (compared with refresh)", me.latencies), ("POST /token/refresh (compared with me)", refreshed.latencies),
        ]
        return outcome
    }

    /// Issues the comparisons' token families (untimed): one per user, or, when the accounts' family slots are
    /// fewer, one per slot (user i then uses family i mod their number, and a refresh waits for another user's).
    private func issueChains(tally: inout VerificationTally) async -> [VirtualUser] {
        let perUser = context.familySlots.perUser
        let families = perUser > 0 ? min(users, perUser * max(logins.count, 1)) : users
        let (holders, issueTally) = await Self.forEach((0..<families).map(newUser)) { user in
            var tally = VerificationTally()
            do { try await user.issueChain(context: context) } catch { tally.failed(error) }
            return tally
        }
        tally.add(issueTally)
        return holders
    }
}
