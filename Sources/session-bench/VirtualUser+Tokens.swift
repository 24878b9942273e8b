// VirtualUser+Tokens: the tokens workload: token journeys (issue, use, refresh, reuse, revocation probe) and compared requests.

import Foundation
import NIOHTTP1

extension VirtualUser {
    // MARK: Journeys

    /// Performs the next step of the current token journey (starting a new one when needed) and returns what it did.
    /// A journey starts only with a family slot of its account: without one, the step is `.idle` (untimed), as are
    /// the waits for the grace and between probes. A failure abandons the journey (its family is revoked).
    mutating func tokenJourneyStep(context: HTTPBenchContext) async throws -> LoadStep {
        if tokens.isFinished {
            if tokens.live || holdsFamilySlot {
                await endTokenFamily(context: context)
                return .idle
            }
            tokens = TokenJourney(plan: TokenJourney.plan())
        }
        if tokens.position == 0 && !acquireFamilySlot(context: context) {
            try? await Task.sleep(for: .milliseconds(5))
            return .idle
        }
        do {
            return try await performTokenStep(tokens.plan[tokens.position], context: context)
        } catch {
            tokens.position = tokens.plan.count
            await endTokenFamily(context: context)
            throw error
        }
    }

    /// Revokes the current family if it is still live (untimed clean-up, outcome ignored) and gives its slot back.
    mutating func endTokenFamily(context: HTTPBenchContext) async {
        if tokens.live, let refresh = tokens.refresh, let body = try? JSONEncoder().encode(RevokeBody(token: refresh)) {
            _ = try? await context.target.send(.POST, "/token/revoke", json: Array(body))
        }
        tokens.live = false
        if holdsFamilySlot, let credentials {
            context.familySlots.release(credentials.username)
            holdsFamilySlot = false
        }
    }

    private mutating func acquireFamilySlot(context: HTTPBenchContext) -> Bool {
        guard !holdsFamilySlot else { return true }
        guard let credentials, context.familySlots.acquire(credentials.username) else { return false }
        holdsFamilySlot = true
        return true
    }

    /// Ends the journey normally.
    private mutating func completeTokenJourney() {
        tokens.position = tokens.plan.count
        tokenTally.journeys += 1
    }

    private mutating func performTokenStep(_ step: TokenStep, context: HTTPBenchContext) async throws -> LoadStep {
        switch step {
        case .token:
            let pair = try await issueToken(context: context)
            (tokens.access, tokens.refresh, tokens.live) = (pair.access_token, pair.refresh_token, true)
            tokens.position += 1
            return .done("POST /token")
        case .me, .meRefreshed:
            try await checkAPIMe(context: context)
            tokens.position += 1
            return .done("GET /api/me")
        case .refresh:
            try await refreshFamily(context: context)
            tokens.position += 1
            return .done("POST /token/refresh")
        case .awaitGrace:
            guard let refreshedAt = tokens.refreshedAt else {
                throw LabelledFailure(label: "POST /token/refresh (reused)", message: "no refresh to reuse")
            }
            let over = refreshedAt + context.refreshGrace + HTTPBenchContext.graceMargin
            let now = ContinuousClock.now
            // In short sleeps, so that the end of the phase is not held up.
            if now < over { try? await Task.sleep(for: min(over - now, .milliseconds(100))) }
            if ContinuousClock.now >= over { tokens.position += 1 }
            return .idle
        case .reuse:
            try await reuseSpent(context: context)
            return .done("POST /token/refresh (reused)")
        case .revokedProbe:
            guard let probe = tokens.probe else {
                throw LabelledFailure(label: "GET /api/me (revoked family)", message: "no revoked family to probe")
            }
            let now = ContinuousClock.now
            if probe.isOver(at: now) {
                tokenTally.familiesProbed += 1
                tokenTally.unconfirmed += 1
                completeTokenJourney()
                return .idle
            }
            if now < probe.nextAt {
                try? await Task.sleep(until: probe.nextAt)
                return .idle
            }
            try await probeRevoked(context: context)
            return .done("GET /api/me (revoked family)")
        }
    }

    /// Sends a request of the token API (no cookie, no CSRF token) and notes its instance.
    mutating func tokenRequest(
        _ label: String, _ method: HTTPMethod, _ path: String, json: [UInt8]? = nil, bearer: String? = nil,
        context: HTTPBenchContext
    ) async throws -> HTTPReply {
        let reply: HTTPReply
        do {
            reply = try await context.target.send(method, path, json: json, bearer: bearer)
        } catch {
            throw LabelledFailure(label: label, message: "\(error)")
        }
        note(reply, label: label, context: context)
        return reply
    }

    /// `POST /token` with this user's credentials: a new family.
    mutating func issueToken(context: HTTPBenchContext) async throws -> TokenReply {
        let label = "POST /token"
        guard let credentials else { throw LabelledFailure(label: label, message: "no credentials") }
        let body = try JSONEncoder().encode(TokenBody(username: credentials.username, password: credentials.password))
        let reply = try await tokenRequest(label, .POST, "/token", json: Array(body), context: context)
        guard reply.status == 200 else { throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)") }
        guard let pair = reply.decode(TokenReply.self), pair.isBearer else {
            throw LabelledFailure(label: label, message: "not a Bearer token pair")
        }
        return pair
    }

    /// The family's short tag for messages (the family id is not a token, but a prefix is enough).
    private var familyTag: String { tokens.family.map { String($0.prefix(8)) } ?? "?" }

    /// `GET /api/me` with the journey's access token: 200 with this user, the answering instance, and the journey's
    /// family; a 401 is a violation (the family is live and held in a slot, so it cannot have been evicted).
    private mutating func checkAPIMe(context: HTTPBenchContext) async throws {
        let label = "GET /api/me"
        let reply = try await tokenRequest(label, .GET, "/api/me", bearer: tokens.access, context: context)
        switch reply.status {
        case 200:
            guard let me = reply.decode(APIMeReply.self) else { throw LabelledFailure(label: label, message: "unreadable body") }
            if me.user != credentials?.username {
                context.checks.violation("user \(index): \(label) reported user \(me.user), expected \(credentials?.username ?? "?")")
            }
            if let instance = reply.instance, instance != me.instance {
                context.checks.violation("user \(index): \(label) body says instance \(me.instance), header \(instance)")
            }
            if let family = tokens.family, family != me.family {
                context.checks.violation("user \(index): \(label) reported family \(me.family.prefix(8)), the journey's is \(familyTag)")
            }
            tokens.family = tokens.family ?? me.family
        case 401:
            context.checks.violation("user \(index): a live family's access token was refused by \(reply.instance ?? "?") (\(reply.errorText))")
            throw LabelledFailure(label: label, message: "HTTP 401: \(reply.errorText)")
        default:
            throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
        }
    }

    /// `POST /token/refresh` with the family's refresh token: a new pair, with a new refresh token.
    private mutating func refreshFamily(context: HTTPBenchContext) async throws {
        let label = "POST /token/refresh"
        guard let old = tokens.refresh else { throw LabelledFailure(label: label, message: "no refresh token") }
        let body = try JSONEncoder().encode(RefreshBody(refresh_token: old))
        let reply = try await tokenRequest(label, .POST, "/token/refresh", json: Array(body), context: context)
        switch reply.status {
        case 200:
            guard let pair = reply.decode(TokenReply.self), pair.isBearer else {
                throw LabelledFailure(label: label, message: "not a Bearer token pair")
            }
            if pair.refresh_token == old {
                context.checks.violation("user \(index): \(label) answered the presented refresh token again (family \(familyTag))")
            }
            (tokens.spent, tokens.access, tokens.refresh) = (old, pair.access_token, pair.refresh_token)
            tokens.refreshedAt = ContinuousClock.now
        case 401:
            context.checks.violation("user \(index): refreshing a live family was refused (\(reply.errorText), family \(familyTag))")
            throw LabelledFailure(label: label, message: "HTTP 401: \(reply.errorText)")
        default:
            throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
        }
    }

    /// Presents the spent refresh token once the grace is certainly over: it must be refused with invalid_grant
    /// (which revokes the family, whose probe starts); accepting it is a violation (the reuse went undetected).
    private mutating func reuseSpent(context: HTTPBenchContext) async throws {
        let label = "POST /token/refresh (reused)"
        guard let spent = tokens.spent else { throw LabelledFailure(label: label, message: "no spent refresh token") }
        let body = try JSONEncoder().encode(RefreshBody(refresh_token: spent))
        let reply = try await tokenRequest(label, .POST, "/token/refresh", json: Array(body), context: context)
        let receivedAt = ContinuousClock.now
        switch reply.status {
        case 401 where reply.errorText == "invalid_grant":
            tokenTally.reuseRefused += 1
            tokens.live = false
            tokens.probe = RevocationProbe(start: receivedAt, expectedInstances: context.expectedInstances)
            tokens.position += 1
        case 401:
            throw LabelledFailure(label: label, message: "HTTP 401 without invalid_grant: \(reply.errorText)")
        case 200:
            context.checks.violation("user \(index): a spent refresh token was accepted after the grace: reuse not detected (family \(familyTag))")
            // The family is still live: the next step revokes it with its latest refresh token.
            if let pair = reply.decode(TokenReply.self) { tokens.refresh = pair.refresh_token }
            completeTokenJourney()
        default:
            throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
        }
    }

    /// One probe of the revoked family's current access token (see ``RevocationProbe``).
    private mutating func probeRevoked(context: HTTPBenchContext) async throws {
        let label = "GET /api/me (revoked family)"
        guard var probe = tokens.probe else { throw LabelledFailure(label: label, message: "no revoked family to probe") }
        let sentAt = ContinuousClock.now
        let reply = try await tokenRequest(label, .GET, "/api/me", bearer: tokens.access, context: context)
        let receivedAt = ContinuousClock.now
        guard reply.status == 200 || reply.status == 401 else {
            throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
        }
        guard let instance = reply.instance else { throw LabelledFailure(label: label, message: "no X-Instance header") }
        let outcome = probe.record(instance: instance, refused: reply.status == 401, sentAt: sentAt, receivedAt: receivedAt)
        tokens.probe = probe
        switch outcome {
        case .pending:
            break
        case .propagated(let propagation):
            tokenTally.familiesProbed += 1
            tokenTally.revocationMilliseconds.append(RevocationStats.milliseconds(propagation))
            tokenTally.acceptedMilliseconds.append(probe.lastAccepted.map(RevocationStats.milliseconds) ?? 0)
            completeTokenJourney()
        case .acceptedLate(let instance, let after):
            // Once per journey; the probe goes on, so that the propagation is still measured.
            if !tokens.lateReported {
                tokens.lateReported = true
                context.checks.violation(
                    "user \(index): revoked family's access token accepted after 1 s on instance \(instance) "
                        + "(sent \(Int(RevocationStats.milliseconds(after))) ms after the reuse was refused; family \(familyTag))")
            }
        }
    }

    // MARK: Comparisons

    /// Issues this user's comparison family (untimed, before the phase).
    mutating func issueChain(context: HTTPBenchContext) async throws {
        guard let credentials else { throw LabelledFailure(label: "POST /token", message: "no credentials") }
        chain = TokenChain(credentials: credentials, pair: try await issueToken(context: context))
    }

    /// Revokes this user's comparison family (untimed clean-up, outcome ignored).
    func revokeChain(context: HTTPBenchContext) async {
        guard let chain, let body = try? JSONEncoder().encode(RevokeBody(token: chain.refreshToken)) else { return }
        _ = try? await context.target.send(.POST, "/token/revoke", json: Array(body))
    }

    /// One `GET /api/me` with the chain's access token (compared with `GET /ping`): 200 with the chain's user.
    mutating func bearerMe(context: HTTPBenchContext) async throws -> String {
        let label = "GET /api/me"
        guard let chain else { throw LabelledFailure(label: label, message: "no token (POST /token failed before the phase)") }
        let user = chain.credentials.username
        let reply = try await tokenRequest(label, .GET, "/api/me", bearer: chain.accessToken, context: context)
        switch reply.status {
        case 200:
            break
        case 401:
            context.checks.violation("user \(index): a held family's access token was refused by \(reply.instance ?? "?") (\(reply.errorText))")
            throw LabelledFailure(label: label, message: "HTTP 401: \(reply.errorText)")
        default:
            throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
        }
        if let instance = reply.instance, reply.bodyStartsWithStrings([("user", user), ("instance", instance)]) {
            return label  // as GET /me: read byte for byte, any other layout is decoded and judged the same
        }
        guard let me = reply.decode(APIMeReply.self) else { throw LabelledFailure(label: label, message: "unreadable body") }
        if me.user != user { context.checks.violation("user \(index): \(label) reported user \(me.user), expected \(user)") }
        if let instance = reply.instance, instance != me.instance {
            context.checks.violation("user \(index): \(label) body says instance \(me.instance), header \(instance)")
        }
        return label
    }

    /// One `POST /token/refresh` along the chain (compared with `GET /me`): the chain's latest refresh token, never a
    /// reuse, so it must answer 200 with a new refresh token. Waits (`.idle`) while another user refreshes the chain;
    /// after a refusal, the next call issues a new family (`.idle`, untimed).
    mutating func refreshChain(context: HTTPBenchContext) async throws -> LoadStep {
        let label = "POST /token/refresh"
        guard let chain else { throw LabelledFailure(label: label, message: "no token (POST /token failed before the phase)") }
        switch chain.claim() {
        case .busy:
            try? await Task.sleep(for: .milliseconds(1))
            return .idle
        case .reissue(let last):
            if let body = try? JSONEncoder().encode(RevokeBody(token: last)) {
                _ = try? await context.target.send(.POST, "/token/revoke", json: Array(body))
            }
            let pair = try? await issueToken(context: context)
            chain.release(pair, broken: pair == nil)
            if pair == nil { try? await Task.sleep(for: .milliseconds(10)) }
            return .idle
        case .refresh(let old):
            var next: TokenReply?
            // Unless a new pair arrives: the server may have spent the token without the bench learning its
            // successor, and presenting it again after the grace would be a reuse. A new family is issued instead.
            var broken = true
            defer { chain.release(next, broken: broken) }
            let body = try JSONEncoder().encode(RefreshBody(refresh_token: old))
            let reply = try await tokenRequest(label, .POST, "/token/refresh", json: Array(body), context: context)
            switch reply.status {
            case 200:
                guard let pair = reply.decode(TokenReply.self), pair.isBearer else {
                    throw LabelledFailure(label: label, message: "not a Bearer token pair")
                }
                if pair.refresh_token == old {
                    context.checks.violation("user \(index): \(label) answered the presented refresh token again")
                }
                (next, broken) = (pair, false)
                return .done(label)
            case 401:
                context.checks.violation("user \(index): refreshing with the chain's latest refresh token was refused (\(reply.errorText))")
                throw LabelledFailure(label: label, message: "HTTP 401: \(reply.errorText)")
            default:
                throw LabelledFailure(label: label, message: "HTTP \(reply.status): \(reply.errorText)")
            }
        }
    }
}
