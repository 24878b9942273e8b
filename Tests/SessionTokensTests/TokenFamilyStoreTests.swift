// TokenFamilyStoreTests: rotation, the grace, reuse detection, revocation, listing and limits, on every store.

import Foundation
import HiredisClient
import RedisSessionStore
import SessionStore
import SessionTokens
import Testing

@Suite("Token families: the same semantics on every store")
struct TokenFamilyStoreTests {
    func grant(_ outcome: RefreshOutcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> RefreshGrant {
        guard case .rotated(let grant) = outcome else {
            Issue.record("expected a rotation, got \(outcome)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        return grant
    }

    @Test("a refresh spends the token and issues a different one of the same family", arguments: TokenStoreKind.allCases)
    func rotation(kind: TokenStoreKind) async throws {
        try await withTokenStore(kind) { harness in
            let first = try await harness.store.issue(user: "alice")
            #expect(first.refreshToken.utf8.count == 52)
            let second = try grant(try await harness.store.refresh(first.refreshToken))
            #expect(second.refreshToken != first.refreshToken)
            #expect(second.family == first.family)
            let third = try grant(try await harness.store.refresh(second.refreshToken))
            #expect(third.family.id == first.family.id)
        }
    }

    @Test("within the grace the spent token returns the same successor; concurrent refreshes agree", arguments: TokenStoreKind.allCases)
    func grace(kind: TokenStoreKind) async throws {
        try await withTokenStore(kind) { harness in
            let first = try await harness.store.issue(user: "alice")
            async let a = harness.store.refresh(first.refreshToken)
            async let b = harness.store.refresh(first.refreshToken)
            let (one, two) = try await (grant(a), grant(b))
            #expect(one.refreshToken == two.refreshToken)
            let again = try grant(try await harness.store.refresh(first.refreshToken))
            #expect(again.refreshToken == one.refreshToken)
            // The successor still works: the family was not harmed.
            _ = try grant(try await harness.store.refresh(one.refreshToken))
        }
    }

    @Test("a spent token after the grace is reuse: the whole family is revoked", arguments: TokenStoreKind.allCases)
    func reuse(kind: TokenStoreKind) async throws {
        try await withTokenStore(kind) { harness in
            let first = try await harness.store.issue(user: "alice")
            let second = try grant(try await harness.store.refresh(first.refreshToken))
            try await Task.sleep(for: .milliseconds(1300))  // past the 1 s grace
            guard case .reused(let family) = try await harness.store.refresh(first.refreshToken) else {
                Issue.record("reuse was not detected")
                return
            }
            #expect(family.id == first.family.id)
            #expect(family.user == "alice")
            // The successor, the thief's or the client's, is dead too.
            guard case .invalid = try await harness.store.refresh(second.refreshToken) else {
                Issue.record("the family's current token survived the reuse")
                return
            }
            #expect(try await harness.store.families(ofUser: "alice").isEmpty)
        }
    }

    @Test("malformed, unknown and foreign tokens are invalid and change nothing", arguments: TokenStoreKind.allCases)
    func invalidTokens(kind: TokenStoreKind) async throws {
        try await withTokenStore(kind) { harness in
            let live = try await harness.store.issue(user: "alice")
            for token in ["", "x", String(repeating: "A", count: 52), String(repeating: "é", count: 26), live.refreshToken + "A"] {
                guard case .invalid = try await harness.store.refresh(token) else {
                    Issue.record("\(token.prefix(8))… was not invalid")
                    continue
                }
            }
            _ = try grant(try await harness.store.refresh(live.refreshToken))
        }
    }

    @Test("revocation by token, by family and for all of a user; listing; the per-user limit", arguments: TokenStoreKind.allCases)
    func revocationAndListing(kind: TokenStoreKind) async throws {
        try await withTokenStore(kind) { harness in
            // A few milliseconds apart: families are ordered by their creation time.
            func issue() async throws -> RefreshGrant {
                try await Task.sleep(for: .milliseconds(3))
                return try await harness.store.issue(user: "bob")
            }
            let a = try await issue()
            let b = try await issue()
            let c = try await issue()
            #expect(try await harness.store.families(ofUser: "bob").map(\.id) == [a, b, c].map(\.family.id))
            // The limit (3): a fourth family ends the oldest.
            let d = try await issue()
            #expect(try await harness.store.families(ofUser: "bob").map(\.id) == [b, c, d].map(\.family.id))
            guard case .invalid = try await harness.store.refresh(a.refreshToken) else {
                Issue.record("the evicted family still refreshes")
                return
            }
            #expect(try await harness.store.revoke(refreshToken: b.refreshToken)?.id == b.family.id)
            #expect(try await harness.store.revoke(refreshToken: b.refreshToken) == nil)
            #expect(try await harness.store.revokeFamily(c.family.id, ofUser: "mallory") == false)
            #expect(try await harness.store.revokeFamily(c.family.id, ofUser: "bob"))
            _ = try await harness.store.issue(user: "carol")
            #expect(try await harness.store.revokeFamilies(ofUser: "bob") == [d.family.id])
            #expect(try await harness.store.families(ofUser: "bob").isEmpty)
            #expect(try await harness.store.families(ofUser: "carol").count == 1)
            guard case .invalid = try await harness.store.refresh(d.refreshToken) else {
                Issue.record("a revoked family still refreshes")
                return
            }
        }
    }

    @Test("a family ends at its absolute lifetime, refreshes or not", arguments: [TokenStoreKind.memory, .redis])
    func absoluteLifetime(kind: TokenStoreKind) async throws {
        let configuration = TokenFamilyConfiguration(absoluteLifetime: .seconds(2), idleLifetime: .seconds(10), grace: .zero)
        try await withTokenStore(kind, configuration: configuration) { harness in
            var grant = try await harness.store.issue(user: "alice")
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(250))
                grant = try self.grant(try await harness.store.refresh(grant.refreshToken))
            }
            try await Task.sleep(for: .milliseconds(1500))
            guard case .invalid = try await harness.store.refresh(grant.refreshToken) else {
                Issue.record("the family outlived its absolute lifetime")
                return
            }
        }
    }

    @Test("a family ends after its idle lifetime without a refresh", arguments: [TokenStoreKind.memory, .redis])
    func idleLifetime(kind: TokenStoreKind) async throws {
        let configuration = TokenFamilyConfiguration(absoluteLifetime: .seconds(60), idleLifetime: .seconds(2), grace: .zero)
        try await withTokenStore(kind, configuration: configuration) { harness in
            var grant = try await harness.store.issue(user: "alice")
            try await Task.sleep(for: .milliseconds(1000))
            grant = try self.grant(try await harness.store.refresh(grant.refreshToken))  // renews the idle lifetime
            try await Task.sleep(for: .milliseconds(1000))
            grant = try self.grant(try await harness.store.refresh(grant.refreshToken))
            try await Task.sleep(for: .milliseconds(2500))
            guard case .invalid = try await harness.store.refresh(grant.refreshToken) else {
                Issue.record("the family outlived its idle lifetime")
                return
            }
            #expect(try await harness.store.families(ofUser: "alice").isEmpty)
        }
    }

    @Test("every revocation reaches a following revocation list within a second", arguments: TokenStoreKind.allCases)
    func revocationsAreFollowed(kind: TokenStoreKind) async throws {
        try await withTokenStore(kind) { harness in
            let list = RevocationList(horizon: .seconds(20), maxStaleness: .seconds(1))
            #expect(list.status(of: "x") == .unknown)
            let follower = Task { await harness.store.followRevocations(into: list) }
            defer { follower.cancel() }
            #expect(await waitUntil(within: .seconds(2)) { list.isFresh } != nil)
            #expect(list.status(of: "x") == .valid)
            let first = try await harness.store.issue(user: "alice")
            _ = try grant(try await harness.store.refresh(first.refreshToken))
            try await Task.sleep(for: .milliseconds(1300))
            _ = try await harness.store.refresh(first.refreshToken)  // reuse
            let took = await waitUntil(within: .seconds(1)) { list.status(of: first.family.id) == .revoked }
            #expect(took != nil, "the reuse's revocation did not arrive within 1 s")
            let other = try await harness.store.issue(user: "alice")
            try await harness.store.revokeFamilies(ofUser: "alice")
            #expect(await waitUntil(within: .seconds(1)) { list.status(of: other.family.id) == .revoked } != nil)
        }
    }
}
