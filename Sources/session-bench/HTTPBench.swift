// HTTPBench: `session-bench http`: virtual users against the session-server API (through HAProxy), with checks.

import ArgumentParser
import Foundation
import Glibc

struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Load tests the session-server API over HTTP(S) and checks session consistency under load.",
        discussion: """
            Virtual users share one HTTP/1.1 client (a keep-alive connection each); each has its own cookie jar and \
            CSRF token.

            Workloads:
              journeys  each user loops: GET /csrf, POST /login, 5-10 x (GET /me, POST /counter/increment, \
            PUT /prefs/<key>), POST /renew, GET /me with the renewed-away token (must work within the grace), 2-3 more \
            rounds, GET /counter and GET /prefs (must match what was acknowledged), POST /logout, GET /me with the \
            logged-out token (must be 401). After the run, sessions still logged in are renewed if needed and, once the \
            grace is over, checked (user, counter, prefs) and every renewed-away token is probed (must be 401).
              ping      every user hammers GET /ping without a cookie.
              me        sessions are logged in first (untimed), then every user hammers GET /me.
              all       journeys for --duration and their checks, then GET /ping and GET /me compared: for \
            --compare-duration each, at the same concurrency, on the same client path and the same logged-in users \
            (only the endpoint and the cookie differ), alternating every 500 ms so that both run on the same machine \
            at the same time (a request counts for the slice it started in).
              tokens    each user loops: POST /token, 5-10 x GET /api/me with the access token (200, its user, the \
            same family throughout), POST /token/refresh (a new pair; the refresh token must change), 2-3 x GET /api/me \
            with the new access token, an untimed wait until --refresh-grace (plus a margin) is certainly over, the \
            spent refresh token presented again (must be 401 invalid_grant: a reuse, which revokes the family), then \
            GET /api/me with the family's current access token every 50 ms for up to 2 s until every instance \
            (--instances) has refused it; an instance accepting it when the request was sent more than 1 s after the \
            reuse was refused is a violation. Then, for --compare-duration each and alternating every 500 ms as in \
            `all`: GET /ping against GET /api/me with a bearer token (tokens issued untimed before: keep \
            --compare-duration under their lifetime, 5 min by default), then GET /me with \
            a session cookie against POST /token/refresh (each user along its own chain with the refresh token it got \
            last: never a reuse, so it must answer 200).

            Accounts: a server keeps at most so many sessions per user and evicts the oldest beyond (session-server: \
            1000, --max-sessions-per-user; the store's default is 32). With many users on few accounts (200 users on \
            alice and bob) and a lower limit, a journey starts only once its account has fewer than \
            --sessions-per-user bench sessions logged in (the wait is neither counted nor timed), and in `me` and the comparison \
            users share min(users, accounts x --sessions-per-user) sessions (user i uses session i mod that number). \
            Give more accounts with --login (and the server a users file) for one session per user. Token families \
            are capped the same way by --families-per-user (the server revokes the oldest of a user's families beyond \
            100): a token journey starts only when its account has fewer in flight, and the comparisons share \
            min(users, accounts x --families-per-user) families (a refresh waits, untimed, while another user \
            refreshes the same family).

            Report: ops are HTTP requests. In `all`, the top-level ops, ops/s and latencies are the journeys phase's; \
            per_endpoint holds the journeys' endpoints plus "GET /ping" from the comparison; its GET /me is kept apart \
            in me_vs_ping.me (with me_vs_ping.ping, and the ratio me/ping ops/s). In `tokens`, the top-level figures \
            and per_endpoint are the token journeys' (the waits are not ops); the comparisons are kept apart in \
            bearer_vs_ping (ping, bearer, ratio bearer/ping; target >= 0.9) and refresh_vs_me (me, refresh, ratio \
            refresh/me; target >= 0.5); tokens holds journeys, reuse_refused (reuses answered 401), families_probed, \
            revocation_ms (p50, p99, max: from the reuse response to the last instance's refusal, an upper bound \
            since the proxy spreads the probes; absent when none was measured) and revocation_unconfirmed (families \
            not refused by every instance within the 2 s). In the other workloads, per_endpoint counts add up to ops. \
            errors counts every failed request of the run (transport errors, timeouts, 5xx, unexpected statuses), all phases and the checks after the run included; violations counts consistency \
            failures (must be 0), the first few are described. Fewer distinct X-Instance values than --instances is \
            a violation. When a request failed (5xx, transport error) or --watch-redis saw Redis down, `outage` says \
            which statuses were seen, when the failures started and ended, the slowest request, and, with \
            --watch-redis, when Redis stopped and resumed answering (its longest outage of the run) and how long \
            requests kept failing after (recovery_ms).
            """
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case journeys, ping, me, all, tokens
    }

    @Option(help: "Base URL of the app, e.g. https://127.0.0.1:8443 (HAProxy) or http://127.0.0.1:8080.")
    var url: String

    @Flag(help: "Accept any TLS certificate (a self-signed one): no verification.")
    var insecure = false

    @Option(help: "Concurrent virtual users.")
    var users = 200

    @Option(help: "How long to run (the journeys phase in `all`), e.g. 20s.")
    var duration = BenchDuration(argument: "20s")!

    @Flag(help: "Print exactly one JSON object on standard output.")
    var json = false

    @Option(help: ArgumentHelp("Write an SVG chart of latency by percentile, one line per endpoint.", valueName: "FILE.svg"))
    var plot: String?

    @Option(name: .customLong("login"), help: ArgumentHelp(
        "user:password to log in with; repeatable, users take them in turn. Default: alice and bob with the password in SESSION_DEMO_PASSWORD.",
        valueName: "user:password"))
    var logins: [String] = []

    @Option(help: "The server's renewal grace: how long a renewed-away token keeps working.")
    var renewGrace = BenchDuration(argument: "5s")!

    @Option(help: "Distinct X-Instance values the responses must come from (0: no check).")
    var instances = 3

    @Option(help: "journeys, ping, me, all (journeys, then ping and me compared), or tokens (token journeys, then bearer against ping and refresh against me).")
    var workload: Workload = .all

    @Option(help: "Sessions the bench keeps logged in at once per account (0: no cap): the server's per-user limit, beyond which it evicts the oldest (session-server's default: 1000).")
    var sessionsPerUser = 1000

    @Option(help: "The server's refresh grace: how long the refresh token spent last may be presented again (tokens workload).")
    var refreshGrace = BenchDuration(argument: "2s")!

    @Option(help: "Token families the tokens workload keeps in flight at once per account (0: no cap): below the server's per-user limit of families (100), beyond which it revokes the oldest.")
    var familiesPerUser = 80

    @Option(help: "Time given to each side of each comparison of `all` and `tokens` (default: max(5s, duration/2)).")
    var compareDuration: BenchDuration?

    @Option(help: ArgumentHelp("Poll this Redis with PING every 10 ms and report when it stopped and resumed answering, and how long requests kept failing after (the outage object of the report).", valueName: "URL"))
    var watchRedis: String?

    func validate() throws {
        guard users > 0 else { throw ValidationError("--users must be positive") }
        guard sessionsPerUser >= 0 else { throw ValidationError("--sessions-per-user must not be negative (0: no cap)") }
        guard familiesPerUser >= 0 else { throw ValidationError("--families-per-user must not be negative (0: no cap)") }
        guard refreshGrace.duration >= .zero else { throw ValidationError("--refresh-grace must not be negative") }
        guard instances >= 0 else { throw ValidationError("--instances must not be negative") }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ValidationError("--url must start with http:// or https://")
        }
        guard duration.duration > .zero else { throw ValidationError("--duration must be positive") }
        if workload != .ping { _ = try credentials() }
        if workload == .tokens {
            // The comparisons' bearer tokens are issued once, before them: they must not expire meanwhile (session-server's
            // access tokens live 5 minutes).
            let side = compareDuration?.duration ?? max(.seconds(5), duration.duration / 2)
            guard side * 2 <= .seconds(240) else {
                throw ValidationError("tokens: each comparison lasts 2 x --compare-duration (default duration/2), at most 4 minutes, so that the access tokens issued before it do not expire")
            }
        }
    }

    /// The logins the virtual users take in turn.
    /// - Throws: `ValidationError` when a `--login` is malformed, or none is given and SESSION_DEMO_PASSWORD is unset.
    func credentials() throws -> [Credentials] {
        if !logins.isEmpty {
            return try logins.map { text in
                guard let credentials = Credentials(text) else { throw ValidationError("--login expects user:password") }
                return credentials
            }
        }
        guard let password = ProcessInfo.processInfo.environment["SESSION_DEMO_PASSWORD"], !password.isEmpty else {
            throw ValidationError("no password known: pass --login user:password, or set SESSION_DEMO_PASSWORD for the demo users alice and bob")
        }
        return [Credentials(username: "alice", password: password), Credentials(username: "bob", password: password)]
    }

    /// The live progress line and phase titles go to standard error, only when it is a terminal and no JSON was asked for.
    var showProgress: Bool { !json && isatty(2) == 1 }

    func run() async throws {
        let logins = workload == .ping ? [] : try credentials()
        let target = HTTPTarget(url: url, insecure: insecure, connections: users)
        var context = HTTPBenchContext(target: target, grace: renewGrace.duration, checks: ConsistencyChecks(),
                                       slots: LoginSlots(perUser: sessionsPerUser))
        context.familySlots = LoginSlots(perUser: familiesPerUser)
        context.refreshGrace = refreshGrace.duration
        context.expectedInstances = instances
        let watcher = watchRedis.map { url in Task { await target.outages.watchRedis(url: url) } }
        let outcome: Result<HTTPBenchOutcome, any Error>
        do {
            outcome = .success(try await HTTPBenchRun(bench: self, logins: logins, context: context).run())
        } catch {
            outcome = .failure(error)
        }
        watcher?.cancel()
        _ = await watcher?.value
        try await target.shutdown()
        var finished = try outcome.get()
        finished.report.outage = target.outages.report()
        try report(finished, checks: context.checks)
    }

    /// Prints the report (JSON or table) and writes the plot.
    func report(_ outcome: HTTPBenchOutcome, checks: ConsistencyChecks) throws {
        var report = outcome.report
        if let plot {
            var series = report.per_endpoint.map { endpoints in
                endpoints.keys.sorted().compactMap { name in
                    outcome.latencies[name].map { LatencyPlot.Series(name: name == "GET /ping" && workload == .all ? "GET /ping (compared with me)" : name, latencies: $0) }
                }
            } ?? []
            if let me = outcome.mePhase { series.append(.init(name: "GET /me (compared with ping)", latencies: me)) }
            series += outcome.compared.map { LatencyPlot.Series(name: $0.name, latencies: $0.latencies) }
            let title = "session-bench http \(workload.rawValue): \(users) users, latency by percentile"
            do {
                try LatencyPlot(title: title, series: series).write(to: plot)
            } catch {
                throw ValidationError("cannot write \(plot): \(error)")
            }
        }
        report.violations = checks.count
        if json {
            print(report.json())
        } else {
            print(report.table())
            print(report.endpointTable())
            for error in outcome.firstErrors { print("error: \(error)") }
            for violation in checks.examples() { print("violation: \(violation)") }
            if let plot { print("plot written to \(plot)") }
        }
    }
}
