// TracedTokenFamilyStore: a TokenFamilyStore decorator that runs every operation in a span (token_family.refresh, …).

import SessionStore
import Tracing

/// Wraps any ``TokenFamilyStore`` so that each operation runs in a span, as `TracedSessionStore` does for sessions:
/// `token_family.issue`, `token_family.refresh`, `token_family.revoke`, `token_family.revoke_families`,
/// `token_family.revoke_user_families`, `token_family.list_families`, with the attributes `token_family.operation`,
/// `token_family.outcome` (`ok`; `reused` or `invalid` for a refresh, `none` for a revocation of nothing; a failure's
/// code such as `unavailable`) and `token_family.round_trips`. ``followRevocations(into:)``, a loop that lasts as long
/// as the server, gets no span.
///
/// A refresh token is never recorded; the user name (as `enduser.id`) only with `recordingUsers`.
///
/// ```swift
/// let families = TracedTokenFamilyStore(try RedisTokenFamilyStore(client: redis, keyring: keyring))
/// ```
public struct TracedTokenFamilyStore<Base: TokenFamilyStore>: TokenFamilyStore {
    /// The wrapped store.
    public let base: Base
    let spans: StoreOperationTracer

    /// Wraps a store.
    /// - Parameters:
    ///   - base: the store that does the work.
    ///   - tracer: the tracer of the spans; default: the one bootstrapped in `InstrumentationSystem` now.
    ///   - recordingUsers: record the user name of each operation as `enduser.id`. Default: `false`.
    public init(_ base: Base, tracer: any Tracer = InstrumentationSystem.tracer, recordingUsers: Bool = false) {
        self.base = base
        self.spans = StoreOperationTracer(tracer: tracer, namespace: "token_family", recordsUsers: recordingUsers)
    }

    public var configuration: TokenFamilyConfiguration { base.configuration }

    public func issue(user: String) async throws(SessionStoreError) -> RefreshGrant {
        try await spans.run("issue", user: user) { () async throws(SessionStoreError) in try await base.issue(user: user) }
    }

    public func refresh(_ refreshToken: String) async throws(SessionStoreError) -> RefreshOutcome {
        try await spans.run("refresh", outcome: Self.outcome, userOf: Self.user) { () async throws(SessionStoreError) in
            try await base.refresh(refreshToken)
        }
    }

    public func revoke(refreshToken: String) async throws(SessionStoreError) -> TokenFamily? {
        try await spans.run("revoke", outcome: { $0 == nil ? "none" : "ok" }, userOf: { $0?.user }) { () async throws(SessionStoreError) in
            try await base.revoke(refreshToken: refreshToken)
        }
    }

    @discardableResult
    public func revokeFamilies(_ ids: [String], ofUser user: String) async throws(SessionStoreError) -> [String] {
        try await spans.run("revoke_families", user: user, outcome: { $0.isEmpty ? "none" : "ok" }) { () async throws(SessionStoreError) in
            try await base.revokeFamilies(ids, ofUser: user)
        }
    }

    @discardableResult
    public func revokeFamilies(ofUser user: String) async throws(SessionStoreError) -> [String] {
        try await spans.run("revoke_user_families", user: user, outcome: { $0.isEmpty ? "none" : "ok" }) { () async throws(SessionStoreError) in
            try await base.revokeFamilies(ofUser: user)
        }
    }

    public func families(ofUser user: String) async throws(SessionStoreError) -> [TokenFamily] {
        try await spans.run("list_families", user: user) { () async throws(SessionStoreError) in try await base.families(ofUser: user) }
    }

    public func followRevocations(into list: RevocationList) async {
        await base.followRevocations(into: list)
    }

    /// `ok`, `reused` or `invalid`.
    static func outcome(_ refresh: RefreshOutcome) -> String? {
        switch refresh {
        case .rotated: "ok"
        case .reused: "reused"
        case .invalid: "invalid"
        }
    }

    /// The family's user, when the token designated one.
    static func user(_ refresh: RefreshOutcome) -> String? {
        switch refresh {
        case .rotated(let grant): grant.family.user
        case .reused(let family): family.user
        case .invalid: nil
        }
    }
}
