// VirtualUser+Journey: the journeys workload: login, counter and preference writes, renewal, checks, logout.

import Foundation

/// One request of a journey.
enum JourneyStep: Sendable, Equatable {
    case csrf, login, me, increment
    case pref(round: Int)
    case renew
    /// `GET /me` with the renewed-away token, right after the renewal: it must still work within the grace.
    case renewedAwayInGrace
    case counter, prefs, logout
    /// `GET /me` with the logged-out token: must be 401.
    case loggedOutProbe
}

extension VirtualUser {
    /// A journey: GET /csrf, POST /login, k × (GET /me, POST /counter/increment, PUT /prefs/<key>) with k in 5...10,
    /// POST /renew, GET /me with the old token, 2 or 3 more rounds, GET /counter and GET /prefs (checked against
    /// what was acknowledged), POST /logout, and GET /me with the logged-out token (must be 401).
    static func journeyPlan() -> [JourneyStep] {
        let before = Int.random(in: 5...10)
        let after = Int.random(in: 2...3)
        var plan: [JourneyStep] = [.csrf, .login]
        for round in 0..<before { plan += [.me, .increment, .pref(round: round)] }
        plan += [.renew, .renewedAwayInGrace]
        for round in before..<(before + after) { plan += [.me, .increment, .pref(round: round)] }
        plan += [.counter, .prefs, .logout, .loggedOutProbe]
        return plan
    }

    /// The preference key of a round: six keys, so later rounds overwrite earlier values (the last one must stay).
    static func prefKey(round: Int) -> String { "k\(round % 6)" }

    /// Performs the next request of the current journey (starting a new one when needed) and returns its label.
    /// A failure abandons the journey: the next call starts a new one.
    /// A journey starts only with a login slot of its account: without one, the step is `.idle` (untimed).
    mutating func journeyStep(context: HTTPBenchContext) async throws -> LoadStep {
        if position >= plan.count { startJourney() }
        if position == 0 && !acquireSlot(context: context) {
            try? await Task.sleep(for: .milliseconds(5))
            return .idle
        }
        do {
            let label = try await perform(plan[position], context: context)
            position += 1
            if position == plan.count { journeysCompleted += 1 }
            return .done(label)
        } catch {
            // Abandon the journey; its session, if any, must not keep counting against the account's limit.
            position = plan.count
            if holdsSlot { await logOutQuietly(context: context) }
            throw error
        }
    }

    /// Forgets the previous journey's session and plans a new one.
    mutating func startJourney() {
        if let renewed {
            retired.append(renewed)
            if retired.count > 2 { retired.removeFirst() }
        }
        plan = Self.journeyPlan()
        position = 0
        journeysStarted += 1
        jar.removeAll()
        csrf = nil
        loggedIn = false
        increments = 0
        prefs = [:]
        renewed = nil
        loggedOutCookies = nil
    }

    /// The next step of the journey, if one is under way.
    var pendingStep: JourneyStep? { position < plan.count ? plan[position] : nil }

    /// Performs one step and returns its label.
    mutating func perform(_ step: JourneyStep, context: HTTPBenchContext) async throws -> String {
        switch step {
        case .csrf:
            try await fetchCSRF(context: context)
            return "GET /csrf"
        case .login:
            try await postLogin(context: context)
            return "POST /login"
        case .me:
            try await checkMe(label: "GET /me", context: context)
            return "GET /me"
        case .increment:
            try await increment(context: context)
            return "POST /counter/increment"
        case .pref(let round):
            try await putPref(round: round, context: context)
            return "PUT /prefs/{key}"
        case .renew:
            try await renew(context: context)
            return "POST /renew"
        case .renewedAwayInGrace:
            try await probeRenewedAwayInGrace(context: context)
            return "GET /me (renewed-away token, in grace)"
        case .counter:
            try await checkCounter(label: "GET /counter", context: context)
            return "GET /counter"
        case .prefs:
            try await checkPrefs(label: "GET /prefs", context: context)
            return "GET /prefs"
        case .logout:
            try await logOut(context: context)
            return "POST /logout"
        case .loggedOutProbe:
            try await probeLoggedOut(context: context)
            return "GET /me (logged out)"
        }
    }

    mutating func increment(context: HTTPBenchContext) async throws {
        let label = "POST /counter/increment"
        let reply = try await request(label, .POST, "/counter/increment", expect: .live, context: context)
        guard let counter = reply.decode(CounterReply.self) else { throw LabelledFailure(label: label, message: "unreadable body") }
        increments += 1
        if counter.value != increments {
            context.checks.violation("user \(index): increment answered \(counter.value) after \(increments) acknowledged increments")
            increments = counter.value
        }
    }

    mutating func putPref(round: Int, context: HTTPBenchContext) async throws {
        let key = Self.prefKey(round: round)
        let value = "u\(index)-j\(journeysStarted)-r\(round)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let body = try JSONEncoder().encode(PrefBody(value: value))
        _ = try await request("PUT /prefs/{key}", .PUT, "/prefs/\(key)", json: Array(body), expect: .live, context: context)
        prefs[key] = value
    }

    mutating func renew(context: HTTPBenchContext) async throws {
        let label = "POST /renew"
        guard let old = jar.header else { throw LabelledFailure(label: label, message: "no session cookie to renew") }
        let sentAt = ContinuousClock.now
        let reply = try await request(label, .POST, "/renew", expect: .live, context: context)
        let receivedAt = ContinuousClock.now
        guard let body = reply.decode(CSRFReply.self) else { throw LabelledFailure(label: label, message: "no csrfToken in the body") }
        csrf = body.csrfToken
        if jar.header == old { context.checks.violation("user \(index): POST /renew did not rotate the session cookie") }
        renewed = RenewedAway(cookies: old, sentAt: sentAt, receivedAt: receivedAt)
    }

    /// The renewed-away token must still work while the grace certainly lasts; a refusal when the grace may have
    /// ended (a slow response) proves nothing and is not counted.
    mutating func probeRenewedAwayInGrace(context: HTTPBenchContext) async throws {
        let label = "GET /me (renewed-away token, in grace)"
        guard let renewed else { throw LabelledFailure(label: label, message: "no renewal to probe") }
        let reply = try await probe(label, "/me", cookies: renewed.cookies, context: context)
        switch reply.status {
        case 200:
            if reply.decode(MeReply.self)?.user != credentials?.username {
                context.checks.violation("user \(index): the renewed-away token reached another user's session")
            }
        case 401:
            if ContinuousClock.now - renewed.sentAt < context.grace - HTTPBenchContext.graceMargin {
                context.checks.violation("user \(index): the renewed-away token was refused within the grace")
            }
        default:
            throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
        }
    }

    /// `GET /counter` must equal the acknowledged increments.
    mutating func checkCounter(label: String, context: HTTPBenchContext) async throws {
        let reply = try await request(label, .GET, "/counter", expect: .live, context: context)
        guard let counter = reply.decode(CounterReply.self) else { throw LabelledFailure(label: label, message: "unreadable body") }
        if counter.value != increments {
            context.checks.violation("user \(index): counter is \(counter.value), \(increments) increments were acknowledged")
        }
    }

    /// `GET /prefs` must hold exactly the last acknowledged value of every key written.
    mutating func checkPrefs(label: String, context: HTTPBenchContext) async throws {
        let reply = try await request(label, .GET, "/prefs", expect: .live, context: context)
        guard let stored = reply.decode(PrefsReply.self) else {
            context.checks.violation("user \(index): GET /prefs is not an object of strings: \(String(decoding: reply.body.prefix(80), as: UTF8.self))")
            return
        }
        for (key, value) in prefs where stored.prefs[key] != value {
            context.checks.violation("user \(index): pref \(key) is \(stored.prefs[key].map { "\"\($0)\"" } ?? "missing"), acknowledged \"\(value)\"")
        }
        for key in stored.prefs.keys where prefs[key] == nil {
            context.checks.violation("user \(index): pref \(key) was never written in this session")
        }
    }

    mutating func logOut(context: HTTPBenchContext) async throws {
        let before = jar.header
        _ = try await request("POST /logout", .POST, "/logout", expect: .live, context: context)
        loggedOutCookies = before
        loggedIn = false
        releaseSlot(context: context)
    }

    /// The logged-out token must be refused at once.
    mutating func probeLoggedOut(context: HTTPBenchContext) async throws {
        let label = "GET /me (logged out)"
        guard let cookies = loggedOutCookies else { throw LabelledFailure(label: label, message: "no logged-out token to probe") }
        let reply = try await probe(label, "/me", cookies: cookies, context: context)
        switch reply.status {
        case 401: break
        case 200: context.checks.violation("user \(index): a logged-out token still reached the session")
        default: throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
        }
        loggedOutCookies = nil
    }
}
