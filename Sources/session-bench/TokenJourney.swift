// TokenJourney: the state of a virtual user's token journey, what its journeys found, and a comparison's token family.

import Synchronization

/// One request (or wait) of a token journey.
enum TokenStep: Sendable, Equatable {
    /// `POST /token`: a new family.
    case token
    /// `GET /api/me` with the first access token.
    case me
    /// `POST /token/refresh` with the family's refresh token.
    case refresh
    /// `GET /api/me` with the refreshed access token.
    case meRefreshed
    /// Waits (untimed) until the refresh grace is certainly over.
    case awaitGrace
    /// `POST /token/refresh` with the spent refresh token: must be refused, which revokes the family.
    case reuse
    /// `GET /api/me` with the revoked family's current access token, until every instance refuses it.
    case revokedProbe
}

/// The current token journey of a virtual user. Holds tokens: never print them.
struct TokenJourney: Sendable {
    var plan: [TokenStep] = []
    var position = 0
    var access: String?
    var refresh: String?
    /// The refresh token spent by the journey's refresh.
    var spent: String?
    /// The family every `GET /api/me` of the journey must name.
    var family: String?
    /// When the refresh's response arrived: the server spent the old token no later than this.
    var refreshedAt: ContinuousClock.Instant?
    /// The probe of the revoked family, once the reuse was refused.
    var probe: RevocationProbe?
    /// Whether the probe has already reported an instance accepting the token too late (once per journey).
    var lateReported = false
    /// The family was issued and not revoked yet: revoke it when the journey is abandoned or the run ends.
    var live = false

    var isFinished: Bool { position >= plan.count }

    /// A journey: POST /token, 5-10 × GET /api/me, POST /token/refresh, 2-3 × GET /api/me with the new access token,
    /// the wait for the grace to end, the reuse of the spent refresh token, and the probe of the revoked family.
    static func plan() -> [TokenStep] {
        [.token] + Array(repeating: .me, count: Int.random(in: 5...10)) + [.refresh]
            + Array(repeating: .meRefreshed, count: Int.random(in: 2...3)) + [.awaitGrace, .reuse, .revokedProbe]
    }
}

/// What a user's token journeys found.
struct TokenTally: Sendable {
    /// Journeys completed (through the probe, or ended by an accepted reuse).
    var journeys = 0
    /// Reuses of a spent refresh token answered 401 invalid_grant.
    var reuseRefused = 0
    /// Revoked families whose probe ended (every instance refused, or the window was over).
    var familiesProbed = 0
    /// Probes whose window ended before every instance had refused.
    var unconfirmed = 0
    /// Each propagated family's time from the reuse response to the last instance's refusal, in milliseconds.
    var revocationMilliseconds: [Double] = []
    /// Each propagated family's latest accepted probe (sent that long after the reuse response; 0 when none was
    /// accepted), in milliseconds: the propagation's lower bound.
    var acceptedMilliseconds: [Double] = []

    mutating func add(_ other: TokenTally) {
        journeys += other.journeys
        reuseRefused += other.reuseRefused
        familiesProbed += other.familiesProbed
        unconfirmed += other.unconfirmed
        revocationMilliseconds += other.revocationMilliseconds
        acceptedMilliseconds += other.acceptedMilliseconds
    }
}

/// A token family held through a comparison phase, refreshed along its own chain (never a reuse).
///
/// Users share one when families are fewer than users; a refresh claims the chain, so that two users never present
/// the same refresh token (the second would be a reuse once the grace is over, and revoke the family).
final class TokenChain: Sendable {
    let credentials: Credentials
    private let state: Mutex<State>

    private struct State {
        var access: String
        var refresh: String
        var busy = false
        var broken = false
    }

    /// What a user may do with the chain now.
    enum Claim {
        /// Refresh with this token, then ``release(_:broken:)``.
        case refresh(String)
        /// The chain was refused: revoke its family through this last known refresh token and issue a new family
        /// (untimed, so that no stale family counts against the account's limit), then ``release(_:broken:)``.
        case reissue(String)
        /// Another user is refreshing it.
        case busy
    }

    init(credentials: Credentials, pair: TokenReply) {
        self.credentials = credentials
        state = Mutex(State(access: pair.access_token, refresh: pair.refresh_token))
    }

    /// The latest access token.
    var accessToken: String { state.withLock { $0.access } }

    /// The latest refresh token.
    var refreshToken: String { state.withLock { $0.refresh } }

    /// Claims the chain for a refresh (or a reissue); `.busy` when another user holds it.
    func claim() -> Claim {
        state.withLock { state in
            if state.busy { return .busy }
            state.busy = true
            return state.broken ? .reissue(state.refresh) : .refresh(state.refresh)
        }
    }

    /// Ends a claim: takes the new pair, if any; `broken` when the refresh was refused.
    func release(_ pair: TokenReply?, broken: Bool) {
        state.withLock { state in
            if let pair {
                state.access = pair.access_token
                state.refresh = pair.refresh_token
                state.broken = false
            }
            if broken { state.broken = true }
            state.busy = false
        }
    }
}
