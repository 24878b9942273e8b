// RedisTokenFamilyStore+Refresh: issuing a family, rotating its refresh token (grace, reuse), revoking, listing.

import Crypto
import HiredisClient
import SessionStore
import SessionTokens

extension RedisTokenFamilyStore {
    public func issue(user: String) async throws(SessionStoreError) -> RefreshGrant {
        let token = keyring.newToken(user: user)
        let identity = keyring.identity(of: token)!
        let family = TokenFamily.newID()
        let reply = try await run(TokenScripts.issue, keys: [indexKey(user: user)], arguments: [
            slotPrefix(identity.tag), family, identity.id, user, configuration.absoluteLifetime.milliseconds,
            configuration.idleLifetime.milliseconds, configuration.maxFamiliesPerUser,
        ])
        guard let items = reply.array, items.count >= 2, let now = items[0].int, let expiry = items[1].int else {
            throw SessionStoreError(.unavailable, "unexpected reply to the issue script")
        }
        let evicted = items.dropFirst(2).compactMap(\.string)
        if !evicted.isEmpty {
            // The new family exists: a failure to record the evictions is reported, not thrown. They stay marked, so
            // the first presentation of one of their tokens records them again.
            do {
                try await finishRevocation(evicted, prefix: slotPrefix(identity.tag))
            } catch {
                logger.error("token families evicted beyond the per-user limit could not be recorded as revoked yet", metadata: [
                    "families": "\(evicted.map { $0.prefix(8) })", "error": "\(error)",
                ])
            }
        }
        return RefreshGrant(family: TokenFamily(id: family, user: user, createdAt: Int64(now), expiresAt: Int64(expiry)),
                            refreshToken: token.rawValue)
    }

    public func refresh(_ refreshToken: String) async throws(SessionStoreError) -> RefreshOutcome {
        guard let token = SessionToken(refreshToken), let identity = keyring.identity(of: token) else { return .invalid }
        let successor = keyring.newToken(sameSlotAs: token)
        let successorID = keyring.identity(of: successor)!.id
        let sealed = seal(successor, under: token)
        let reply = try await run(TokenScripts.refresh, keys: [slotPrefix(identity.tag) + "r:" + identity.id], arguments: [
            slotPrefix(identity.tag), identity.id, successorID, sealed, configuration.grace.milliseconds, Self.keptRefreshIDs,
        ], revoking: true)
        guard let items = reply.array, let kind = items.first?.string else {
            throw SessionStoreError(.unavailable, "unexpected reply to the refresh script")
        }
        guard kind != "none" else { return .invalid }
        guard items.count >= 5, let id = items[1].string, let user = items[2].string, let created = items[3].int,
              let expiry = items[4].int else {
            throw SessionStoreError(.unavailable, "unexpected reply to the refresh script")
        }
        let family = TokenFamily(id: id, user: user, createdAt: Int64(created), expiresAt: Int64(expiry))
        switch kind {
        case "ok":
            return .rotated(RefreshGrant(family: family, refreshToken: successor.rawValue))
        case "grace":
            guard let box = items.count > 5 ? items[5].bytes : nil, let earlier = open(box, under: token) else { return .invalid }
            return .rotated(RefreshGrant(family: family, refreshToken: earlier.rawValue))
        default:
            try await finishRevocation([id], prefix: slotPrefix(identity.tag))
            return .reused(family)
        }
    }

    public func revoke(refreshToken: String) async throws(SessionStoreError) -> TokenFamily? {
        guard let token = SessionToken(refreshToken), let identity = keyring.identity(of: token) else { return nil }
        let prefix = slotPrefix(identity.tag)
        let reply = try await run(TokenScripts.markByToken, keys: [prefix + "r:" + identity.id], arguments: [prefix], revoking: true)
        guard let items = reply.array, items.count == 4, let id = items[0].string, let user = items[1].string,
              let created = items[2].int, let expiry = items[3].int else { return nil }
        try await finishRevocation([id], prefix: prefix)
        return TokenFamily(id: id, user: user, createdAt: Int64(created), expiresAt: Int64(expiry))
    }

    @discardableResult
    public func revokeFamilies(_ ids: [String], ofUser user: String) async throws(SessionStoreError) -> [String] {
        guard !ids.isEmpty else { return [] }
        let prefix = slotPrefix(keyring.slotTag(forUser: user))
        let reply = try await run(TokenScripts.markFamilies, keys: [indexKey(user: user)], arguments: [prefix, user] + ids, revoking: true)
        let marked = reply.array?.compactMap(\.string) ?? []
        if !marked.isEmpty { try await finishRevocation(marked, prefix: prefix) }
        return marked
    }

    @discardableResult
    public func revokeFamilies(ofUser user: String) async throws(SessionStoreError) -> [String] {
        let prefix = slotPrefix(keyring.slotTag(forUser: user))
        let reply = try await run(TokenScripts.markAll, keys: [indexKey(user: user)], arguments: [prefix], revoking: true)
        let marked = reply.array?.compactMap(\.string) ?? []
        if !marked.isEmpty { try await finishRevocation(marked, prefix: prefix) }
        return marked
    }

    public func families(ofUser user: String) async throws(SessionStoreError) -> [TokenFamily] {
        let reply = try await run(TokenScripts.families, keys: [indexKey(user: user)],
                                  arguments: [slotPrefix(keyring.slotTag(forUser: user))])
        let items = reply.array ?? []
        return stride(from: 0, to: items.count - 2, by: 3).compactMap { index in
            guard let id = items[index].string, let created = items[index + 1].int, let expiry = items[index + 2].int else { return nil }
            return TokenFamily(id: id, user: user, createdAt: Int64(created), expiresAt: Int64(expiry))
        }
    }

    /// The key that seals a successor for the grace: derived from the spent token and the secret of its version,
    /// so that only a holder of the spent token (and the server) can open it.
    private func sealingKey(for token: SessionToken) -> SymmetricKey? {
        guard let key = sealingKeys[token.keyVersion] else { return nil }
        let mac = HMAC<SHA256>.authenticationCode(for: token.bytes, using: key)
        return SymmetricKey(data: Array(mac))
    }

    private func seal(_ successor: SessionToken, under token: SessionToken) -> [UInt8] {
        guard let key = sealingKey(for: token), let box = try? AES.GCM.seal(successor.bytes, using: key).combined else { return [] }
        return Array(box)
    }

    private func open(_ sealed: [UInt8], under token: SessionToken) -> SessionToken? {
        guard let key = sealingKey(for: token), let box = try? AES.GCM.SealedBox(combined: sealed),
              let bytes = try? AES.GCM.open(box, using: key), bytes.count == SessionToken.byteCount else { return nil }
        return SessionToken(bytes: Array(bytes))
    }
}
