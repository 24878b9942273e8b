// MemoryTokenFamilyStore: the TokenFamilyStore in process memory, for one instance, development and tests.

import Crypto
import SessionStore
import Synchronization

/// A ``TokenFamilyStore`` in memory, with the same semantics as the Redis one (the shared tests run on both).
/// Its revocations reach the ``RevocationList``s that follow it at once. Single process only.
public final class MemoryTokenFamilyStore: TokenFamilyStore {
    private struct Family {
        var value: TokenFamily
        var idleExpiry: Int64
        var current: [UInt8]
        var spent: [UInt8]?
        var spentAt: Int64 = 0
        var successor: String?
        /// The digests of the family's refresh tokens, oldest first: the newest ``MemoryTokenFamilyStore/keptTokens``
        /// (as the Redis store keeps them), so that reuse of any of them is recognised.
        var spentTokens: [[UInt8]] = []
    }

    private struct State {
        var families: [String: Family] = [:]
        /// Refresh-token digests (current or spent) to their family.
        var tokens: [[UInt8]: String] = [:]
        var lists: [ObjectIdentifier: RevocationList] = [:]
    }

    public let configuration: TokenFamilyConfiguration
    /// Refresh tokens a family keeps (current and spent), as the Redis store does.
    static let keptTokens = 64
    private let state = Mutex(State())
    private let clock: any SessionClock

    /// Creates an empty store.
    /// - Parameters:
    ///   - clock: where the time comes from (tests pass a `ManualSessionClock`).
    /// - Throws: ``SessionStoreError`` `.invalidConfiguration`.
    public init(configuration: TokenFamilyConfiguration = .init(), clock: any SessionClock = SystemSessionClock()) throws(SessionStoreError) {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
    }


    private static func digest(_ token: SessionToken) -> [UInt8] { Array(SHA256.hash(data: token.bytes)) }

    public func issue(user: String) async throws(SessionStoreError) -> RefreshGrant {
        let now = clock.nowMilliseconds()
        let token = SessionToken.generate(keyVersion: 1, routing: SessionKeyring.randomRouting())
        let family = TokenFamily(id: TokenFamily.newID(), user: user, createdAt: now,
                                 expiresAt: now + configuration.absoluteLifetime.milliseconds)
        let evicted = state.withLock { state -> [String] in
            Self.prune(&state, now: now)
            let mine = state.families.values.filter { $0.value.user == user }.sorted { $0.value.createdAt < $1.value.createdAt }
            let excess = mine.count - configuration.maxFamiliesPerUser + 1
            let evicted = excess > 0 ? mine.prefix(excess).map(\.value.id) : []
            for id in evicted { Self.end(&state, id) }
            let digest = Self.digest(token)
            state.families[family.id] = Family(value: family, idleExpiry: now + configuration.idleLifetime.milliseconds,
                                               current: digest, spentTokens: [digest])
            state.tokens[digest] = family.id
            return evicted
        }
        announce(evicted)
        return RefreshGrant(family: family, refreshToken: token.rawValue)
    }

    public func refresh(_ refreshToken: String) async throws(SessionStoreError) -> RefreshOutcome {
        guard let token = SessionToken(refreshToken) else { return .invalid }
        let now = clock.nowMilliseconds()
        let digest = Self.digest(token)
        let successor = SessionToken.generate(keyVersion: 1, routing: Array(token.routing))
        let grace = configuration.grace.milliseconds
        let idle = configuration.idleLifetime.milliseconds
        let outcome = state.withLock { state -> RefreshOutcome in
            Self.prune(&state, now: now)
            guard let id = state.tokens[digest], var family = state.families[id] else { return .invalid }
            if family.current == digest {
                let next = Self.digest(successor)
                family.spent = digest
                family.spentAt = now
                family.successor = successor.rawValue
                family.current = next
                family.spentTokens.append(next)
                if family.spentTokens.count > Self.keptTokens { state.tokens.removeValue(forKey: family.spentTokens.removeFirst()) }
                family.idleExpiry = min(now + idle, family.value.expiresAt)
                state.families[id] = family
                state.tokens[next] = id
                return .rotated(RefreshGrant(family: family.value, refreshToken: successor.rawValue))
            }
            if family.spent == digest, now - family.spentAt <= grace, let earlier = family.successor {
                return .rotated(RefreshGrant(family: family.value, refreshToken: earlier))
            }
            Self.end(&state, id)
            return .reused(family.value)
        }
        if case .reused(let family) = outcome { announce([family.id]) }
        return outcome
    }

    public func revoke(refreshToken: String) async throws(SessionStoreError) -> TokenFamily? {
        guard let token = SessionToken(refreshToken) else { return nil }
        let digest = Self.digest(token)
        let family = state.withLock { state -> TokenFamily? in
            guard let id = state.tokens[digest], let family = state.families[id] else { return nil }
            Self.end(&state, id)
            return family.value
        }
        if let family { announce([family.id]) }
        return family
    }

    @discardableResult
    public func revokeFamilies(_ ids: [String], ofUser user: String) async throws(SessionStoreError) -> [String] {
        let ended = state.withLock { state -> [String] in
            let mine = ids.filter { state.families[$0]?.value.user == user }
            for id in mine { Self.end(&state, id) }
            return mine
        }
        announce(ended)
        return ended
    }

    @discardableResult
    public func revokeFamilies(ofUser user: String) async throws(SessionStoreError) -> [String] {
        let ended = state.withLock { state -> [String] in
            let ids = state.families.values.filter { $0.value.user == user }.map(\.value.id)
            for id in ids { Self.end(&state, id) }
            return ids
        }
        announce(ended)
        return ended
    }

    public func families(ofUser user: String) async throws(SessionStoreError) -> [TokenFamily] {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            Self.prune(&state, now: now)
            return state.families.values.filter { $0.value.user == user }.map(\.value).sorted { $0.createdAt < $1.createdAt }
        }
    }

    /// Delivers every later revocation to `list` at once (the list is fresh for as long as this runs).
    public func followRevocations(into list: RevocationList) async {
        let key = ObjectIdentifier(list)
        state.withLock { $0.lists[key] = list }
        defer { state.withLock { _ = $0.lists.removeValue(forKey: key) } }
        while !Task.isCancelled {
            list.markFresh(asOf: .now)
            try? await Task.sleep(for: list.maxStaleness / 4)
        }
    }

    private func announce(_ families: [String]) {
        guard !families.isEmpty else { return }
        for list in state.withLock({ Array($0.lists.values) }) { list.revoke(families) }
    }

    private static func end(_ state: inout State, _ id: String) {
        guard let family = state.families.removeValue(forKey: id) else { return }
        for digest in family.spentTokens { state.tokens.removeValue(forKey: digest) }
    }

    private static func prune(_ state: inout State, now: Int64) {
        for (id, family) in state.families where family.idleExpiry <= now || family.value.expiresAt <= now { end(&state, id) }
    }
}

