// HTTPBenchRun: the phases of an http bench run (warm-up, journeys, checks, ping and me compared) and their report.

import ArgumentParser
import Foundation
import Histogram

/// What a run produced: its report (violations still to fill in), and the latencies to plot.
struct HTTPBenchOutcome {
    var report: BenchReport
    /// Latencies per per_endpoint name.
    var latencies: [String: Histogram<UInt64>]
    /// The comparison's GET /me latencies (`all` only).
    var mePhase: Histogram<UInt64>?
    var firstErrors: [String]
    /// The `tokens` workload's compared endpoints' latencies, by plot name.
    var compared: [(name: String, latencies: Histogram<UInt64>)] = []
}

/// One run of `session-bench http`.
struct HTTPBenchRun: Sendable {
    let url: String
    let users: Int
    let duration: BenchDuration
    let compareDuration: BenchDuration?
    let workload: HTTPBench.Workload
    let expectedInstances: Int
    let showProgress: Bool
    let logins: [Credentials]
    let context: HTTPBenchContext

    init(bench: HTTPBench, logins: [Credentials], context: HTTPBenchContext) {
        url = bench.url
        users = bench.users
        duration = bench.duration
        compareDuration = bench.compareDuration
        workload = bench.workload
        expectedInstances = bench.instances
        showProgress = bench.showProgress
        self.logins = logins
        self.context = context
    }

    var newUser: @Sendable (Int) -> VirtualUser {
        { [logins] index in VirtualUser(index: index, credentials: logins.isEmpty ? nil : logins[index % logins.count]) }
    }

    func runner(_ duration: Duration) -> LoadRunner {
        LoadRunner(concurrency: users, duration: duration, showProgress: showProgress)
    }

    func phase(_ text: String) {
        if showProgress { FileHandle.standardError.write(Data("\(text)\n".utf8)) }
    }

    func run() async throws -> HTTPBenchOutcome {
        var instances = Set<String>()
        var extra = VerificationTally()
        var firstErrors: [String] = []

        // Warm-up, untimed: every user opens its connection (TLS handshake included) with one GET /ping.
        let (warmed, warmTally) = await Self.forEach((0..<users).map(newUser)) { user in
            var tally = VerificationTally()
            do { _ = try await user.ping(context: context) } catch { tally.failed(error) }
            return tally
        }
        guard warmTally.errors < users else {
            throw ValidationError("cannot reach \(url): \(warmTally.firstErrors.first ?? "no answer")")
        }
        extra.add(warmTally)
        warmed.forEach { instances.formUnion($0.instances) }

        let comparePhase = compareDuration?.duration ?? max(.seconds(5), duration.duration / 2)
        var report: BenchReport
        var latencies: [String: Histogram<UInt64>] = [:]
        var meLatencies: Histogram<UInt64>?
        var compared: [(name: String, latencies: Histogram<UInt64>)] = []
        switch workload {
        case .ping, .me:
            let result: LoadResult
            if workload == .ping {
                result = await pingPhase(duration.duration, instances: &instances)
            } else {
                result = await mePhase(duration.duration, instances: &instances, tally: &extra)
            }
            report = BenchReport(mode: "http", workload: workload.rawValue, concurrency: users, connections: users, result: result)
            report.per_endpoint = result.labelled.mapValues { BenchReport.Endpoint($0, elapsedSeconds: result.elapsedSeconds) }
            latencies = result.labelled.mapValues(\.latencies)
            firstErrors = result.firstErrors
        case .tokens:
            let tokens = await tokensPhases(comparePhase, instances: &instances, tally: &extra)
            (report, latencies, compared, firstErrors) = (tokens.report, tokens.latencies, tokens.compared, tokens.firstErrors)
        case .journeys, .all:
            phase("journeys: \(users) users for \(duration)")
            let (result, journeyUsers) = await runner(duration.duration).run(workers: newUser) { user, _ in
                try await user.journeyStep(context: context)
            }
            firstErrors = result.firstErrors
            // Untimed: renew the sessions still logged in, probe pending logouts.
            let (settled, settleTally) = await Self.forEach(journeyUsers) { user in await user.settle(context: context) }
            extra.add(settleTally)
            report = BenchReport(mode: "http", workload: workload.rawValue, concurrency: users, connections: users, result: result)
            report.per_endpoint = result.labelled.mapValues { BenchReport.Endpoint($0, elapsedSeconds: result.elapsedSeconds) }
            latencies = result.labelled.mapValues(\.latencies)
            // Wait out the last grace, then check the held sessions and the renewed-away tokens (freeing the slots).
            if let over = settled.compactMap({ $0.graceOver(grace: context.grace) }).max(), over > .now {
                phase("waiting \(BenchDuration.text(over - .now)) for the renewal grace to end")
                try? await Task.sleep(until: over)
            }
            let (verified, verifyTally) = await Self.forEach(settled) { user in await user.verifyAfterGrace(context: context) }
            extra.add(verifyTally)
            verified.forEach { instances.formUnion($0.instances) }
            if workload == .all {
                phase("ping and me, alternating every \(BenchDuration.text(Self.compareSlice)): \(users) users for \(BenchDuration.text(comparePhase)) each")
                let (ping, me, compared) = await alternatingComparison(comparePhase, instances: &instances, tally: &extra)
                report.per_endpoint?["GET /ping"] = ping
                latencies["GET /ping"] = compared.labelled["GET /ping"]?.latencies
                meLatencies = compared.labelled["GET /me"]?.latencies
                report.me_vs_ping = BenchReport.Comparison("me", me, against: "ping", ping)
                extra.errors += compared.errors
                firstErrors += compared.firstErrors.prefix(max(0, 3 - firstErrors.count))
            }
            report.journeys = verified.reduce(0) { $0 + $1.journeysCompleted }
            report.checks = BenchReport.Checks(
                renewed_away_probed: extra.renewedAwayProbed, sessions_verified: extra.sessionsVerified,
                logged_out_probed: report.journeys! + extra.loggedOutProbed
            )
        }
        report.errors += extra.errors
        firstErrors += extra.firstErrors.prefix(max(0, 3 - firstErrors.count))
        report.instances_seen = instances.sorted()
        if expectedInstances > 0 && instances.count < expectedInstances {
            context.checks.violation("responses came from \(instances.count) distinct X-Instance values (\(instances.sorted().joined(separator: ", "))), expected at least \(expectedInstances)")
        }
        return HTTPBenchOutcome(report: report, latencies: latencies, mePhase: meLatencies, firstErrors: firstErrors, compared: compared)
    }

    /// Every user hammers GET /ping for `duration`.
    private func pingPhase(_ duration: Duration, instances: inout Set<String>) async -> LoadResult {
        let (result, states) = await runner(duration).run(workers: newUser) { user, _ in
            .done(try await user.ping(context: context))
        }
        states.forEach { instances.formUnion($0.instances) }
        return result
    }

    /// Sessions are logged in (untimed): one per user, or, when the accounts' slots are fewer than the users, one
    /// per slot, shared (user i uses session i mod sessions). Every user hammers GET /me for `duration`; then the
    /// sessions are logged out (untimed).
    private func mePhase(_ duration: Duration, instances: inout Set<String>, tally: inout VerificationTally) async -> LoadResult {
        let owners = await logInSessions(tally: &tally)
        let (result, states) = await runner(duration).run(workers: sessionUser(owners)) { user, _ in
            .done(try await user.me(context: context))
        }
        states.forEach { instances.formUnion($0.instances) }
        await logOut(owners, instances: &instances)
        return result
    }

    /// How long each slice of the ping-and-me comparison lasts.
    static let compareSlice: Duration = .milliseconds(500)

    /// The `all` workload's comparison: on logged-in users, GET /ping and GET /me alternate every ``compareSlice``
    /// for `duration` each (rounded up to whole slices), so that both endpoints run on the same machine at the same
    /// time (on a shared host, back-to-back phases differ by more than what is being measured). A request counts for
    /// the slice it started in; each endpoint's rate is over its own slices' time.
    private func alternatingComparison(
        _ duration: Duration, instances: inout Set<String>, tally: inout VerificationTally
    ) async -> (ping: BenchReport.Endpoint, me: BenchReport.Endpoint, result: LoadResult) {
        let owners = await logInSessions(tally: &tally)
        let (result, states, each) = await alternating(
            duration, workers: sessionUser(owners),
            first: { user in .done(try await user.ping(context: context)) },
            second: { user in .done(try await user.me(context: context)) }
        )
        states.forEach { instances.formUnion($0.instances) }
        await logOut(owners, instances: &instances)
        let ping = BenchReport.Endpoint(result.labelled["GET /ping"] ?? LabelledResult(), elapsedSeconds: each)
        let me = BenchReport.Endpoint(result.labelled["GET /me"] ?? LabelledResult(), elapsedSeconds: each)
        return (ping, me, result)
    }

    /// Runs `first` and `second` alternately, every ``compareSlice``, for `duration` each (rounded up to whole
    /// slices), `first` in the even slices; an operation counts for the slice it started in. Returns the run, the
    /// users, and each side's time in seconds (what its rate is over).
    func alternating(
        _ duration: Duration, workers: @escaping @Sendable (Int) -> VirtualUser,
        first: @escaping @Sendable (inout VirtualUser) async throws -> LoadStep,
        second: @escaping @Sendable (inout VirtualUser) async throws -> LoadStep
    ) async -> (result: LoadResult, users: [VirtualUser], each: Double) {
        let slices = max(1, Int((duration / Self.compareSlice).rounded(.up)))
        let start = ContinuousClock.now
        let (result, states) = await runner(Self.compareSlice * (2 * slices)).run(workers: workers) { user, _ in
            if Int((ContinuousClock.now - start) / Self.compareSlice) % 2 == 0 {
                return try await first(&user)
            }
            return try await second(&user)
        }
        let (seconds, attoseconds) = (Self.compareSlice * slices).components
        return (result, states, Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Logs in the sessions of a me run or of the comparison (untimed): one per user, or one per free account slot when those are fewer.
    func logInSessions(tally: inout VerificationTally) async -> [VirtualUser] {
        let slots = context.slots.perUser
        let sessions = slots > 0 ? min(users, slots * max(logins.count, 1)) : users
        let (owners, loginTally) = await Self.forEach((0..<sessions).map(newUser)) { user in
            var tally = VerificationTally()
            do {
                _ = user.acquireSlot(context: context)
                try await user.logIn(context: context)
            } catch {
                tally.failed(error)
            }
            return tally
        }
        tally.add(loginTally)
        return owners
    }

    /// User i of a run on logged-in sessions: in session i mod their number.
    func sessionUser(_ owners: [VirtualUser]) -> @Sendable (Int) -> VirtualUser {
        { [newUser] index in
            var user = newUser(index)
            let owner = owners[index % owners.count]
            (user.jar, user.csrf, user.loggedIn) = (owner.jar, owner.csrf, owner.loggedIn)
            return user
        }
    }

    /// Logs the sessions out again (untimed).
    func logOut(_ owners: [VirtualUser], instances: inout Set<String>) async {
        let (loggedOut, _) = await Self.forEach(owners) { user in
            await user.logOutQuietly(context: context)
            return VerificationTally()
        }
        loggedOut.forEach { instances.formUnion($0.instances) }
    }

    /// Runs `body` on every user concurrently (untimed work between phases); returns the users and the sum of tallies.
    static func forEach(
        _ users: [VirtualUser], _ body: @escaping @Sendable (inout VirtualUser) async -> VerificationTally
    ) async -> ([VirtualUser], VerificationTally) {
        await withTaskGroup(of: (Int, VirtualUser, VerificationTally).self) { group in
            for (index, user) in users.enumerated() {
                group.addTask {
                    var user = user
                    let tally = await body(&user)
                    return (index, user, tally)
                }
            }
            var done = users
            var total = VerificationTally()
            for await (index, user, tally) in group {
                done[index] = user
                total.add(tally)
            }
            return (done, total)
        }
    }
}
