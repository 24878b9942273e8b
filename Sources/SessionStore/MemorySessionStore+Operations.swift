// MemorySessionStore+Operations: each SessionStore operation as one critical section mirroring the Redis scripts.

extension MemorySessionStore {
    public func create(
        user: String?, attributes: [String: [UInt8]], authentication: Authentication?
    ) async throws(SessionStoreError) -> Session {
        for name in attributes.keys { try Session.validate(name: name) }
        let size = SessionInternals.size(of: attributes)
        guard size <= configuration.maximumSessionBytes else { throw tooLarge(size) }
        let token = keyring.newToken(user: user)
        let identity = keyring.identity(of: token)!
        let now = clock.nowMilliseconds()
        let remembered = configuration.expiry.rememberedLifetime(authentication)
        let record = try counted("create", Result { () throws(SessionStoreError) in
            try insert(identity, user: user,
                       absoluteExpiry: now + (remembered ?? configuration.expiry.absoluteTimeout.milliseconds),
                       idle: remembered, attributes: attributes,
                       authentication: AuthenticationContext.recorded(authentication, at: now), now: now)
        })
        configuration.events.created(id: identity.id, user: user)
        return makeSession(identity, token: token, record: record)
    }

    /// Inserts a new record.
    private func insert(
        _ identity: SessionIdentity, user: String?, absoluteExpiry: Int64, idle: Int64?, attributes: [String: [UInt8]],
        authentication: AuthenticationContext?, now: Int64
    ) throws(SessionStoreError) -> Record {
        let limit = configuration.maximumSessionsPerUser
        let refuse = configuration.limitPolicy == .refuse
        let idle = idle ?? configuration.expiry.idleTimeout(bound: user != nil).milliseconds
        var evicted: [String] = []
        defer { for id in evicted { configuration.events.session(.destroyed(.limitEviction), id: id, user: user) } }
        let outcome = state.withLock { state -> Result<Record, SessionStoreError> in
            var record = Record(created: now, lastAccess: now, idle: idle, absoluteExpiry: absoluteExpiry, revision: 1,
                                user: user, attributes: attributes, expiresAt: 0, authentication: authentication)
            if let user, let refused = state.makeRoom(forUser: user, tag: identity.tag, limit: limit, refuse: refuse, now: now,
                                                       evicted: &evicted) {
                return .failure(refused)
            }
            guard state.refresh(identity, &record, now: now) else {
                return .failure(SessionStoreError(.notFound, "the session expired before it could be written"))
            }
            state.entries[identity] = .live(record)
            if let user { state.indexes[user, default: [:]][identity.id] = now }
            return .success(record)
        }
        return try outcome.get()
    }

    public func load(_ text: String) async throws(SessionStoreError) -> Session? {
        guard let token = SessionToken(text), let identity = keyring.identity(of: token) else {
            SessionMetrics.malformedToken()
            return nil
        }
        let now = clock.nowMilliseconds()
        let fraction = configuration.expiry.touchThreshold
        let revoke = configuration.rotation.revokeOnSuspectedTheft
        enum Outcome { case found(SessionIdentity, Record, via: Bool), none, theft(revoked: (String, String?)?), expired(String, String?) }
        let outcome = state.withLock { state -> Outcome in
            // A session past its expiry that is still held is reported (what a Redis load finding a key not yet
            // removed reports; this store finds every expired session it still holds).
            if case .live(let held) = state.entries[identity], held.expiresAt <= now || held.absoluteExpiry <= now {
                state.entries[identity] = nil
                state.removeFromIndex(user: held.user, id: identity.id)
                return .expired(identity.id, held.user)
            }
            var target = identity
            var via = false
            for _ in 0..<4 {  // renewals followed within their grace, like `resolve` and the Redis load script
                guard case .tombstone(let tombstone) = state.entry(target, now: now) else { break }
                let successor = SessionIdentity(tag: target.tag, id: tombstone.successor)
                if now - tombstone.rotatedAt > tombstone.grace {
                    // A family that ended (logout, eviction) is simply no session; else the whole family is revoked.
                    guard let head = state.liveHead(from: successor, now: now) else {
                        state.entries[target] = nil
                        return .none
                    }
                    var revoked: (String, String?)?
                    if revoke {
                        if case .live(let record) = state.entries[head] { revoked = (head.id, record.user) }
                        state.endFamily(head, now: now)
                        state.entries[target] = nil
                    }
                    return .theft(revoked: revoked)
                }
                target = successor
                via = true
            }
            guard var record = state.record(target, now: now) else { return .none }
            let want = min(record.idle, record.absoluteExpiry - now)
            guard want > 0 else {
                state.entries[target] = nil
                return .none
            }
            if SessionInternals.touchDue(refreshed: want, current: record.expiresAt - now,
                                         untilAbsolute: record.absoluteExpiry - now,
                                         threshold: SessionInternals.touchThreshold(idle: record.idle, fraction: fraction)) {
                _ = state.refresh(target, &record, now: now)
                state.entries[target] = .live(record)
            }
            return .found(target, record, via: via)
        }
        switch outcome {
        case .found(let target, let record, let via):
            SessionMetrics.operation("load", outcome: via ? "grace" : "ok")
            return makeSession(target, token: via ? nil : token, record: record)
        case .theft(let revoked):
            SessionMetrics.operation("load", outcome: "theft")
            SessionMetrics.suspectedTheft()
            configuration.events.session(.suspectedTheft, id: identity.id, user: revoked?.1)
            if let (head, user) = revoked { configuration.events.session(.destroyed(.revocation), id: head, user: user) }
            return nil
        case .expired(let id, let user):
            SessionMetrics.operation("load", outcome: "none")
            configuration.events.session(.expired, id: id, user: user)
            return nil
        case .none:
            SessionMetrics.operation("load", outcome: "none")
            return nil
        }
    }

    public func save(_ session: inout Session, checkingRevision: Bool) async throws(SessionStoreError) {
        guard session.hasChanges else { return }
        for name in session.pendingChanges.keys { try Session.validate(name: name) }
        guard session.byteCount <= configuration.maximumSessionBytes else { throw tooLarge(session.byteCount) }
        let now = clock.nowMilliseconds()
        let changes = session.pendingChanges
        let (expected, maximum) = (session.revision, configuration.maximumSessionBytes)
        let loaded = session.identity
        let outcome = state.withLock { state -> Result<Int64, SessionStoreError> in
            guard case (let identity, var record)? = state.resolve(loaded, now: now) else { return .failure(self.notFound(loaded)) }
            if checkingRevision && record.revision != expected {
                return .failure(SessionStoreError(.conflict, "\(identity) is at revision \(record.revision), not \(expected): reload and retry"))
            }
            for (name, value) in changes { record.attributes[name] = value }
            let size = SessionInternals.size(of: record.attributes)
            guard size <= maximum else { return .failure(self.tooLarge(size)) }
            guard state.refresh(identity, &record, now: now) else { return .failure(self.notFound(identity)) }
            record.revision += 1
            state.entries[identity] = .live(record)
            return .success(record.revision)
        }
        session.revision = try counted("save", outcome)
        for (name, value) in changes { session.attributes[name] = value }
        session.pendingChanges = [:]
    }

    public func increment(_ session: Session, _ attribute: String, by delta: Int64) async throws(SessionStoreError) -> Int64 {
        try Session.validate(name: attribute)
        let now = clock.nowMilliseconds()
        let loaded = session.identity
        let maximum = configuration.maximumSessionBytes
        let outcome = state.withLock { state -> Result<Int64, SessionStoreError> in
            guard case (let identity, var record)? = state.resolve(loaded, now: now) else { return .failure(self.notFound(loaded)) }
            var current: Int64 = 0
            if let bytes = record.attributes[attribute] {
                guard let value = Int64(String(decoding: bytes, as: UTF8.self)) else {
                    return .failure(SessionStoreError(.notANumber, "attribute '\(attribute)' does not hold an integer"))
                }
                current = value
            }
            let (value, overflow) = current.addingReportingOverflow(delta)
            if overflow { return .failure(SessionStoreError(.notANumber, "incrementing '\(attribute)' would overflow")) }
            record.attributes[attribute] = Array(String(value).utf8)
            let size = SessionInternals.size(of: record.attributes)
            guard size <= maximum else { return .failure(self.tooLarge(size)) }
            guard state.refresh(identity, &record, now: now) else { return .failure(self.notFound(identity)) }
            record.revision += 1
            state.entries[identity] = .live(record)
            return .success(value)
        }
        return try counted("increment", outcome)
    }

    public func touch(_ session: Session) async throws(SessionStoreError) -> Bool {
        let now = clock.nowMilliseconds()
        return state.withLock { state in
            guard case (let identity, var record)? = state.resolve(session.identity, now: now),
                  state.refresh(identity, &record, now: now)
            else { return false }
            state.entries[identity] = .live(record)
            return true
        }
    }

    public func destroy(_ session: Session) async throws(SessionStoreError) {
        let now = clock.nowMilliseconds()
        let ended = state.withLock { state -> SessionIdentity? in
            // A session value loaded before another request renewed it: the logout ends the renewed session.
            let head = state.liveHead(from: session.identity, now: now)
            if let head, head != session.identity {
                state.endFamily(head, now: now)
            }
            state.endFamily(session.identity, now: now)
            state.removeFromIndex(user: session.user, id: session.identity.id)
            return head
        }
        SessionMetrics.operation("destroy", outcome: "ok")
        if let ended { configuration.events.session(.destroyed(.logout), id: ended.id, user: session.user) }
    }

    public func sessions(ofUser user: String) async throws(SessionStoreError) -> [SessionSummary] {
        let now = clock.nowMilliseconds()
        let tag = keyring.slotTag(forUser: user)
        return state.withLock { state in
            state.liveSessions(ofUser: user, tag: tag, now: now).compactMap { entry in
                guard let record = state.record(SessionIdentity(tag: tag, id: entry.id), now: now) else { return nil }
                return SessionInternals.summary(id: entry.id, createdAt: record.created, lastAccessAt: record.lastAccess,
                                                authentication: record.authentication)
            }
        }
    }

    public func destroySessions(ofUser user: String, keeping: Session?) async throws(SessionStoreError) -> Int {
        try await destroyMatching(user: user, reason: .logoutEverywhere) { $0 != keeping?.identity.id }
    }

    public func destroySession(ofUser user: String, handle: String) async throws(SessionStoreError) -> Bool {
        try await destroyMatching(user: user, reason: .revocation) { SessionIdentity.handle(forID: $0) == handle } > 0
    }

    private func destroyMatching(
        user: String, reason: SessionEvent.DestructionReason, _ matches: (String) -> Bool
    ) async throws(SessionStoreError) -> Int {
        let now = clock.nowMilliseconds()
        let tag = keyring.slotTag(forUser: user)
        let ended = state.withLock { state in
            var ended: [String] = []
            for entry in state.liveSessions(ofUser: user, tag: tag, now: now) where matches(entry.id) {
                state.endFamily(SessionIdentity(tag: tag, id: entry.id), now: now)
                state.removeFromIndex(user: user, id: entry.id)
                ended.append(entry.id)
            }
            return ended
        }
        for id in ended { configuration.events.session(.destroyed(reason), id: id, user: user) }
        return ended.count
    }

    func makeSession(_ identity: SessionIdentity, token: SessionToken?, record: Record) -> Session {
        Session(
            identity: identity, token: token, user: record.user, createdAt: SessionInternals.date(milliseconds: record.created),
            lastAccessAt: SessionInternals.date(milliseconds: record.lastAccess),
            absoluteExpiry: SessionInternals.date(milliseconds: record.absoluteExpiry), idleTimeout: .milliseconds(record.idle),
            revision: record.revision, keyring: keyring, reachedThroughGrace: token == nil,
            family: record.family, attributes: record.attributes, authentication: record.authentication
        )
    }

    /// Counts an operation's outcome under the names the Redis store uses, then returns its value or throws its error.
    func counted<Value>(_ operation: String, _ outcome: Result<Value, SessionStoreError>) throws(SessionStoreError) -> Value {
        switch outcome {
        case .success(let value):
            SessionMetrics.operation(operation, outcome: "ok")
            return value
        case .failure(let error):
            SessionMetrics.operation(operation, failedWith: error.code)
            throw error
        }
    }

    func tooLarge(_ size: Int) -> SessionStoreError {
        SessionStoreError(.tooLarge, "the session would be \(size) bytes, over the limit of \(configuration.maximumSessionBytes); nothing was written")
    }

    func notFound(_ identity: SessionIdentity) -> SessionStoreError {
        SessionStoreError(.notFound, "\(identity) no longer exists (expired, destroyed or rotated away); nothing was written")
    }
}
