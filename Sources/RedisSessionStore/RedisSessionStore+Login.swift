// RedisSessionStore+Login: moving an anonymous session into its user's hash slot at login, losing no write.

import HiredisClient
import SessionStore

extension RedisSessionStore {
    /// Login from another slot. A script cannot span two hash slots (Redis Cluster), so the move is optimistic:
    /// 1. read the session as stored now (every acknowledged write, not the caller's possibly older view);
    /// 2. create the copy in the user's slot (the per-user limit applies here: a refusal leaves the original as it
    ///    was, so a failed login loses nothing);
    /// 3. retire the original, with its family's tombstones, only if it is still at the revision that was copied.
    /// If a parallel request wrote meanwhile, the copy is made again (at most ``loginAttempts`` times, then
    /// `.conflict`). The new token is unknown to anyone until this returns, so no request can see both or neither.
    func login(
        _ session: Session, user: String, token: SessionToken, authentication: Authentication?
    ) async throws(SessionStoreError) -> Session {
        let remembered = configuration.expiry.rememberedLifetime(authentication)
        let identity = keyring.identity(of: token)!
        let oldKey = key(session.identity)
        var retireKeys = [oldKey]
        if let previous = session.user { retireKeys.append(indexKey(user: previous, tag: session.identity.tag)) }
        let copyKeys = createKeys(identity, user: user)
        func destroyCopy() async throws(SessionStoreError) {
            _ = try await run(SessionScripts.destroy, keys: copyKeys, arguments: [identity.id, slotPrefix(identity.tag)])
        }
        for attempt in 0..<Self.loginAttempts {
            let fields = try await pipeline([RedisCommand("HGETALL", oldKey)]).first?.array ?? []
            guard let stored = PackedMetadata(fields: fields) else {
                if attempt > 0 { try await destroyCopy() }
                throw fields.isEmpty ? notFound(session.identity, "rotate") : alreadyRotated(session.identity)
            }
            let attributes = Self.attributes(fields)
            if attempt > 0 { try await destroyCopy() }  // the previous attempt's copy, now outdated
            let created = try await run(SessionScripts.create, keys: copyKeys, arguments: createArguments(
                identity, user: user, created: stored.created, absoluteExpiry: stored.absoluteExpiry,
                revision: stored.revision + 1, attributes: attributes, authentication: authentication,
                remembered: remembered, keepingAuthentication: Self.field("_a", in: fields)))
            let (now, _, absolute) = try parseCreate(created)
            reportEvictions(created, user: user)
            let retired: [RedisReply]
            do {
                retired = try await run(SessionScripts.retire, keys: retireKeys, arguments: [
                    String(stored.revision), session.identity.id, slotPrefix(session.identity.tag),
                ], revoking: true)
            } catch {
                // The original may or may not be retired: drop the copy (best effort), so that a failed login leaves
                // no second session counting against the user's limit. The caller fails closed either way.
                try? await destroyCopy()
                throw error
            }
            switch retired.first?.string {
            case "ok":
                SessionMetrics.operation("rotate", outcome: "ok")
                events.rotated(.login(user: user), id: identity.id, user: user)
                return Session(
                    identity: identity, token: token, user: user, createdAt: session.createdAt,
                    lastAccessAt: SessionInternals.date(milliseconds: now),
                    absoluteExpiry: SessionInternals.date(milliseconds: absolute),
                    idleTimeout: remembered.map { .milliseconds($0) } ?? configuration.expiry.idleTimeout,
                    revision: stored.revision + 1, keyring: keyring, reachedThroughGrace: false, family: nil,
                    attributes: attributes,
                    authentication: AuthenticationContext.recorded(authentication, at: now)
                        ?? Self.field("_a", in: fields).flatMap { AuthenticationContext(encoded: $0) }
                )
            case "conflict":
                continue
            case let outcome:
                try await destroyCopy()
                throw outcome == "rotated" ? alreadyRotated(session.identity) : notFound(session.identity, "rotate")
            }
        }
        try await destroyCopy()
        SessionMetrics.operation("rotate", outcome: "conflict")
        throw SessionStoreError(.conflict, "\(session.identity) kept changing while logging in: try again")
    }

    /// `.alreadyRotated`, counted.
    func alreadyRotated(_ identity: SessionIdentity) -> SessionStoreError {
        SessionMetrics.operation("rotate", outcome: "already_rotated")
        return SessionStoreError(.alreadyRotated, "\(identity) was already rotated by another request")
    }
}
