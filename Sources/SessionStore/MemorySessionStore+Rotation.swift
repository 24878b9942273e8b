// MemorySessionStore+Rotation: token rotation (renewal with grace, privilege change, login) in one critical section.

extension MemorySessionStore {
    public func rotate(_ session: Session, _ kind: RotationKind) async throws(SessionStoreError) -> Session {
        let (token, user) = try keyring.successor(of: session, kind)
        let identity = keyring.identity(of: token)!
        let now = clock.nowMilliseconds()
        let old = session.identity
        let moving = identity.tag != old.tag
        let grace = configuration.rotation.renewalGrace.milliseconds
        let window = configuration.rotation.theftDetectionWindow.milliseconds
        let limit = configuration.maximumSessionsPerUser
        let refuse = configuration.limitPolicy == .refuse
        let outcome = state.withLock { state -> Result<Record, SessionStoreError> in
            guard var record = state.record(old, now: now) else {
                if case .tombstone = state.entry(old, now: now) {
                    return .failure(SessionStoreError(.alreadyRotated, "\(old) was already rotated by another request"))
                }
                return .failure(self.notFound(old))
            }
            if moving && record.revision != session.revision {
                return .failure(SessionStoreError(.conflict, "\(old) changed while logging in: load it again and retry"))
            }
            if moving {
                // A login into the user's slot copies the session as it was loaded, like the Redis store does.
                record.attributes = session.attributes
                if let user, let refused = state.makeRoom(forUser: user, tag: identity.tag, limit: limit, refuse: refuse, now: now) {
                    return .failure(refused)
                }
            }
            let absoluteExpiry = record.absoluteExpiry
            state.entries[old] = nil
            state.removeFromIndex(user: record.user, id: old.id)
            record.revision += 1
            record.user = user
            guard state.refresh(identity, &record, now: now) else { return .failure(self.notFound(old)) }
            state.entries[identity] = .live(record)
            if let user { state.indexes[user, default: [:]][identity.id] = record.created }
            if kind == .renewal {
                let keep = max(grace, min(window, absoluteExpiry - now)) + 1
                state.entries[old] = .tombstone(Tombstone(successor: identity.id, rotatedAt: now, grace: grace, expiresAt: now + keep))
            }
            return .success(record)
        }
        return makeSession(identity, token: token, record: try counted("rotate", outcome))
    }
}
