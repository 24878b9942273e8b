// RedisSessionStore+Login: moving an anonymous session into its user's hash slot at login, in one round trip.

import HiredisClient
import SessionStore

extension RedisSessionStore {
    /// Login from another slot: a pipeline of two single-slot scripts (one round trip): `create` the successor in
    /// the user's slot as a copy of the loaded session, then `retire` the old session only if it is still at the
    /// copied revision. If it changed meanwhile, the copy is destroyed and the caller gets `.conflict`.
    /// The new token is unknown to anyone until this returns, so no request can see both or neither.
    func login(_ session: Session, user: String, token: SessionToken) async throws(SessionStoreError) -> Session {
        let identity = keyring.identity(of: token)!
        let created = Int64((session.createdAt.timeIntervalSince1970 * 1000).rounded())
        let absolute = Int64((session.absoluteExpiry.timeIntervalSince1970 * 1000).rounded())
        var retireKeys = [key(session.identity)]
        if let previous = session.user { retireKeys.append(indexKey(user: previous, tag: session.identity.tag)) }
        let createArgs = createArguments(identity, user: user, created: created, absoluteExpiry: absolute,
                                         revision: session.revision + 1, attributes: session.attributes)
        let retireArgs: [any RedisArgument] = [String(session.revision), session.identity.id]
        let scripts: [(RedisScript, [String], [any RedisArgument])] = [
            (SessionScripts.create, createKeys(identity, user: user), createArgs),
            (SessionScripts.retire, retireKeys, retireArgs),
        ]
        var replies: [RedisReply]
        do {
            replies = try await redis.pipeline(scripts.map { $0.0.evalSHA(keys: $0.1, arguments: $0.2) }, timeout: nil)
            // After a restart or failover the server may not know a script: run just those again with EVAL.
            let missing = replies.indices.filter { replies[$0].isNoScript }
            if !missing.isEmpty {
                let retried = try await redis.pipeline(missing.map { scripts[$0].0.eval(keys: scripts[$0].1, arguments: scripts[$0].2) }, timeout: nil)
                for (index, reply) in zip(missing, retried) { replies[index] = reply }
            }
        } catch {
            throw SessionStoreError(.unavailable, "Redis failed: \(error)", underlying: error)
        }
        let created_ = replies[0].array ?? []
        let retired = replies[1].array?.first?.string
        guard created_.first?.string == "ok" else {
            if retired == "ok" {
                logger.error("login could not create the new session after retiring the old one", metadata: ["session": "\(session.identity)"])
            }
            _ = try parseCreate(created_)
            throw notFound(session.identity, "login")
        }
        guard retired == "ok" else {
            _ = try await run(SessionScripts.destroy, keys: [key(identity), indexKey(user: user, tag: identity.tag)], arguments: [identity.id])
            if retired == "conflict" {
                throw SessionStoreError(.conflict, "\(session.identity) changed while logging in: load it again and retry")
            }
            throw notFound(session.identity, "login")
        }
        SessionMetrics.operation("rotate", outcome: "ok")
        let now = Int64(created_[1].int ?? 0)
        return Session(
            identity: identity, token: token, user: user, createdAt: session.createdAt,
            lastAccessAt: SessionInternals.date(milliseconds: now), absoluteExpiry: session.absoluteExpiry,
            idleTimeout: session.idleTimeout, revision: session.revision + 1, keyring: keyring,
            reachedThroughGrace: false, attributes: session.attributes
        )
    }
}

extension RedisReply {
    var isNoScript: Bool {
        if case .error(let error) = self { return error.code == "NOSCRIPT" }
        return false
    }
}
