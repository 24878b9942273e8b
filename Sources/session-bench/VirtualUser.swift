// VirtualUser: one simulated browser of the http bench: its cookies, CSRF token, login, and the ping and me steps.

import Foundation
import NIOHTTP1

/// What every virtual user of a run shares.
struct HTTPBenchContext: Sendable {
    let target: HTTPTarget
    /// The server's renewal grace: how long a renewed-away token keeps working.
    let grace: Duration
    /// Violations found while running (shared with the store mode's checks).
    let checks: ConsistencyChecks
    /// Logged-in sessions per account, kept under the server's per-user limit.
    let slots: LoginSlots
    /// Token families per account in flight in the `tokens` workload's journeys (the server revokes the oldest
    /// families of a user beyond its limit).
    var familySlots = LoginSlots(perUser: 0)
    /// The server's refresh grace: how long the refresh token spent last may be presented again.
    var refreshGrace: Duration = .seconds(2)
    /// Distinct instances that must refuse a revoked family's access token (`--instances`; at least 1 is required).
    var expectedInstances = 0

    /// Margin around the grace for clock differences between the bench, the app servers and Redis: a check on the
    /// grace is only made when it cannot be decided by a margin this small.
    static let graceMargin: Duration = .milliseconds(300)
}

/// A token that `POST /renew` rotated away, and when.
struct RenewedAway: Sendable {
    /// The `Cookie` header that carries the old token.
    let cookies: String
    /// Just before the renewal request was sent: the server rotated no earlier than this.
    let sentAt: ContinuousClock.Instant
    /// Just after its response arrived: the server rotated no later than this.
    let receivedAt: ContinuousClock.Instant
}

/// One virtual user: a single task of the load runner owns it and passes it `inout` to every step, so it needs no
/// lock. It is a value: the runner hands the final states back for the checks that follow the run.
struct VirtualUser: Sendable {
    let index: Int
    let credentials: Credentials?
    var jar = CookieJar()
    var csrf: String?
    var loggedIn = false
    /// Whether this user holds a login slot of its account (see ``LoginSlots``).
    var holdsSlot = false
    /// Every `X-Instance` value seen.
    var instances: Set<String> = []

    // Journey state (see VirtualUser+Journey.swift).
    var plan: [JourneyStep] = []
    var position = 0
    var journeysStarted = 0
    var journeysCompleted = 0
    /// Increments the server acknowledged in the current session.
    var increments = 0
    /// The last acknowledged value of each preference in the current session.
    var prefs: [String: String] = [:]
    /// The current session's renewed-away token.
    var renewed: RenewedAway?
    /// The `Cookie` header of the session just logged out, until it has been probed.
    var loggedOutCookies: String?
    /// Renewed-away tokens of finished journeys (the last few), probed once more after the grace at the end.
    var retired: [RenewedAway] = []

    // Token journey state (see VirtualUser+Tokens.swift).
    var tokens = TokenJourney()
    /// What this user's token journeys found.
    var tokenTally = TokenTally()
    /// Whether this user holds a token-family slot of its account (`HTTPBenchContext.familySlots`).
    var holdsFamilySlot = false
    /// The comparisons' token family this user presents and refreshes.
    var chain: TokenChain?

    init(index: Int, credentials: Credentials?) {
        self.index = index
        self.credentials = credentials
    }

    // MARK: Requests

    /// What a response must be for the step to go on.
    enum Expectation {
        /// Exactly this status.
        case status(Int)
        /// 200, and the request ran in a session that must be live: 401 or 403 are also violations (session lost),
        /// and the user is marked logged out.
        case live
    }

    /// Sends one request with this user's cookies (and CSRF token for state-changing methods), takes the cookies of
    /// the response, remembers its instance, and checks the status.
    /// - Throws: ``LabelledFailure`` on a transport error or an unexpected status.
    mutating func request(
        _ label: String, _ method: HTTPMethod, _ path: String, json: [UInt8]? = nil, expect: Expectation = .status(200),
        context: HTTPBenchContext
    ) async throws -> HTTPReply {
        let reply: HTTPReply
        do {
            reply = try await context.target.send(method, path, cookies: jar.header, csrf: method == .GET ? nil : csrf, json: json)
        } catch {
            throw LabelledFailure(label: label, message: "\(error)")
        }
        jar.apply(setCookies: reply.setCookies)
        note(reply, label: label, context: context)
        switch expect {
        case .status(let status) where reply.status == status:
            return reply
        case .live where reply.status == 200:
            return reply
        case .live where reply.status == 401 || reply.status == 403:
            loggedIn = false
            context.checks.violation("user \(index): \(label) answered \(reply.status) (\(reply.errorText)) in a live session")
        default:
            break
        }
        throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
    }

    /// Sends a request with the given cookies instead of the jar's (probing an old token), without keeping any cookie.
    mutating func probe(_ label: String, _ path: String, cookies: String, context: HTTPBenchContext) async throws -> HTTPReply {
        let reply: HTTPReply
        do {
            reply = try await context.target.send(.GET, path, cookies: cookies)
        } catch {
            throw LabelledFailure(label: label, message: "\(error)")
        }
        note(reply, label: label, context: context)
        return reply
    }

    /// Remembers the instance; a response of the app (not a 5xx, which may be the proxy's) must name its instance.
    mutating func note(_ reply: HTTPReply, label: String, context: HTTPBenchContext) {
        if let instance = reply.instance {
            instances.insert(instance)
        } else if reply.status < 500 {
            context.checks.violation("\(label) answered \(reply.status) without an X-Instance header")
        }
    }

    // MARK: Login

    /// `GET /csrf` then `POST /login`, in a fresh cookie jar.
    mutating func logIn(context: HTTPBenchContext) async throws {
        jar.removeAll()
        loggedIn = false
        try await fetchCSRF(context: context)
        try await postLogin(context: context)
    }

    mutating func fetchCSRF(context: HTTPBenchContext) async throws {
        let reply = try await request("GET /csrf", .GET, "/csrf", context: context)
        guard let body = reply.decode(CSRFReply.self) else { throw LabelledFailure(label: "GET /csrf", message: "no csrfToken in the body") }
        csrf = body.csrfToken
    }

    mutating func postLogin(context: HTTPBenchContext) async throws {
        guard let credentials else { throw LabelledFailure(label: "POST /login", message: "no credentials") }
        let body = try JSONEncoder().encode(LoginBody(username: credentials.username, password: credentials.password))
        let reply = try await request("POST /login", .POST, "/login", json: Array(body), context: context)
        guard let login = reply.decode(LoginReply.self) else { throw LabelledFailure(label: "POST /login", message: "no csrfToken in the body") }
        if login.user != credentials.username {
            context.checks.violation("user \(index): POST /login answered user \(login.user), expected \(credentials.username)")
        }
        csrf = login.csrfToken
        loggedIn = true
    }

    /// `POST /logout`, ignoring the outcome (clean-up), and gives the login slot back.
    mutating func logOutQuietly(context: HTTPBenchContext) async {
        _ = try? await context.target.send(.POST, "/logout", cookies: jar.header, csrf: csrf)
        jar.removeAll()
        loggedIn = false
        releaseSlot(context: context)
    }

    /// Takes a login slot of this user's account unless it holds one; `false` when none is free.
    mutating func acquireSlot(context: HTTPBenchContext) -> Bool {
        guard !holdsSlot else { return true }
        guard let credentials, context.slots.acquire(credentials.username) else { return false }
        holdsSlot = true
        return true
    }

    /// Gives the login slot back, if held.
    mutating func releaseSlot(context: HTTPBenchContext) {
        guard holdsSlot, let credentials else { return }
        context.slots.release(credentials.username)
        holdsSlot = false
    }

    // MARK: Ping and me workloads

    /// One `GET /ping` without cookies.
    mutating func ping(context: HTTPBenchContext) async throws -> String {
        let label = "GET /ping"
        let reply: HTTPReply
        do {
            reply = try await context.target.send(.GET, "/ping")
        } catch {
            throw LabelledFailure(label: label, message: "\(error)")
        }
        note(reply, label: label, context: context)
        guard reply.status == 200, reply.decode(StatusReply.self) != nil else {
            throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
        }
        return label
    }

    /// One `GET /me` in this user's session (logged in beforehand); a lost session is a violation and is replaced.
    mutating func me(context: HTTPBenchContext) async throws -> String {
        let label = "GET /me"
        // Only when the login before the phase failed (already counted as an error): log in first.
        if !loggedIn { try await logIn(context: context) }
        do {
            try await checkMe(label: label, context: context)
        } catch {
            if !loggedIn { try? await logIn(context: context) }
            throw error
        }
        return label
    }

    /// `GET /me` must answer 200 with this user, and name the instance that answered.
    mutating func checkMe(label: String, context: HTTPBenchContext) async throws {
        let reply = try await request(label, .GET, "/me", expect: .live, context: context)
        if let user = credentials?.username, let instance = reply.instance,
           reply.bodyStartsWithStrings([("user", user), ("instance", instance)]) {
            return  // both checks pass, read byte for byte; any other body is decoded below and judged the same
        }
        guard let me = reply.decode(MeReply.self) else { throw LabelledFailure(label: label, message: "unreadable body") }
        if me.user != credentials?.username {
            context.checks.violation("user \(index): \(label) reported user \(me.user), expected \(credentials?.username ?? "?")")
        }
        if let instance = reply.instance, instance != me.instance {
            context.checks.violation("user \(index): \(label) body says instance \(me.instance), header \(instance)")
        }
    }
}
