// MemorySessionStore+Rotation: token rotation (renewal with grace, privilege change, login) in one critical section.

extension MemorySessionStore {
    public func rotate(
        _ session: Session, _ kind: RotationKind, authentication: Authentication?
    ) async throws(SessionStoreError) -> Session {
        let (token, user) = try keyring.successor(of: session, kind)
        let identity = keyring.identity(of: token)!
        let now = clock.nowMilliseconds()
        let old = session.identity
        let moving = identity.tag != old.tag
        let grace = configuration.rotation.renewalGrace.milliseconds
        let window = configuration.rotation.theftDetectionWindow.milliseconds
        let limit = configuration.maximumSessionsPerUser
        let refuse = configuration.limitPolicy == .refuse
        let boundIdle = configuration.expiry.idleTimeout.milliseconds
        let family = session.family
        let recorded = AuthenticationContext.recorded(authentication, at: now)
        let remembered = configuration.expiry.rememberedLifetime(authentication)
        var evicted: [String] = []
        let outcome = state.withLock { state -> Result<Record, SessionStoreError> in
            guard var record = state.record(old, now: now) else {
                if case .tombstone = state.entry(old, now: now) {
                    return .failure(SessionStoreError(.alreadyRotated, "\(old) was already rotated by another request"))
                }
                return .failure(self.notFound(old))
            }
            // A login into the user's slot copies the session as it is stored now (every acknowledged write), and
            // nothing happens to it unless the copy can be made.
            if moving, let user, let refused = state.makeRoom(forUser: user, tag: identity.tag, limit: limit, refuse: refuse, now: now,
                                                                    evicted: &evicted) {
                return .failure(refused)
            }
            if let remembered {
                record.absoluteExpiry = now + remembered
                record.idle = remembered
            }
            if let recorded { record.authentication = recorded }
            let absoluteExpiry = record.absoluteExpiry
            state.entries[old] = nil
            state.removeFromIndex(user: record.user, id: old.id)
            if record.user == nil && user != nil && remembered == nil { record.idle = boundIdle }
            record.revision += 1
            record.user = user
            // A renewal keeps the family and leaves a tombstone in the same slot. (A successor in another slot, after
            // the routing key changed, is a move like a login: the Redis store cannot leave a cross-slot tombstone.)
            let renewal = kind == .renewal && !moving
            if renewal {
                record.family = family
                record.predecessors = Array((record.predecessors + [old.id]).suffix(Self.maximumChain))
            } else {
                // Login and privilege changes start a new family: the old one's tombstones end here.
                for id in record.predecessors { state.entries[SessionIdentity(tag: old.tag, id: id)] = nil }
                record.predecessors = []
                record.family = nil
            }
            guard state.refresh(identity, &record, now: now) else { return .failure(self.notFound(old)) }
            state.entries[identity] = .live(record)
            if let user { state.indexes[user, default: [:]][identity.id] = record.created }
            if renewal {
                let keep = max(grace, min(window, absoluteExpiry - now)) + 1
                state.entries[old] = .tombstone(Tombstone(successor: identity.id, rotatedAt: now, grace: grace, expiresAt: now + keep))
            }
            return .success(record)
        }
        for id in evicted { configuration.events.session(.destroyed(.limitEviction), id: id, user: user) }
        let record = try counted("rotate", outcome)
        configuration.events.rotated(kind, id: identity.id, user: user)
        return makeSession(identity, token: token, record: record)
    }
}
