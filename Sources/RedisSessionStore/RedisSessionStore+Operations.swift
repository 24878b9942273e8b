// RedisSessionStore+Operations: each SessionStore operation as one script call, and the parsing of its reply.

import HiredisClient
import SessionStore

extension RedisSessionStore {
    public func create(
        user: String?, attributes: [String: [UInt8]], authentication: Authentication?
    ) async throws(SessionStoreError) -> Session {
        for name in attributes.keys { try Session.validate(name: name) }
        let size = SessionInternals.size(of: attributes)
        guard size <= configuration.maximumSessionBytes else {
            throw SessionStoreError(.tooLarge, "a new session of \(size) bytes exceeds the limit of \(configuration.maximumSessionBytes)")
        }
        let token = keyring.newToken(user: user)
        let identity = keyring.identity(of: token)!
        let remembered = configuration.expiry.rememberedLifetime(authentication)
        let reply = try await run(SessionScripts.create, keys: createKeys(identity, user: user),
                                  arguments: createArguments(identity, user: user, created: nil, absoluteExpiry: nil,
                                                             revision: 1, attributes: attributes,
                                                             authentication: authentication, remembered: remembered))
        let (now, created, absolute) = try parseCreate(reply)
        SessionMetrics.operation("create", outcome: "ok")
        reportEvictions(reply, user: user)
        events.created(id: identity.id, user: user)
        return Session(
            identity: identity, token: token, user: user, createdAt: SessionInternals.date(milliseconds: created),
            lastAccessAt: SessionInternals.date(milliseconds: now), absoluteExpiry: SessionInternals.date(milliseconds: absolute),
            idleTimeout: remembered.map { .milliseconds($0) } ?? configuration.expiry.idleTimeout(bound: user != nil),
            revision: 1, keyring: keyring, reachedThroughGrace: false, family: nil, attributes: attributes,
            authentication: AuthenticationContext.recorded(authentication, at: now)
        )
    }

    public func load(_ text: String) async throws(SessionStoreError) -> Session? {
        guard let token = SessionToken(text), let identity = keyring.identity(of: token) else {
            SessionMetrics.malformedToken()
            return nil
        }
        switch try await loadReadOnly(identity, token: token) {
        case .live(let session):
            SessionMetrics.operation("load", outcome: "ok")
            return session
        case .absent:
            SessionMetrics.operation("load", outcome: "none")
            return nil
        case .needsScript:
            break
        }
        let reply = try await run(SessionScripts.load, keys: [key(identity)], arguments: [touchFraction, revokeOnTheft])
        switch reply.first?.string {
        case "ok":
            let via = reply[1].string ?? ""
            let target = via.isEmpty ? identity : SessionIdentity(tag: identity.tag, id: via)
            SessionMetrics.operation("load", outcome: via.isEmpty ? "ok" : "grace")
            return decodeSession(target, token: via.isEmpty ? token : nil, metadata: reply[2].bytes ?? [], fields: reply[3].array ?? [])
        case "expired":
            SessionMetrics.operation("load", outcome: "none")
            let user = reply.count > 2 ? reply[2].string.flatMap { $0.isEmpty ? nil : $0 } : nil
            events.session(.expired, id: reply.count > 1 ? reply[1].string ?? identity.id : identity.id, user: user)
            return nil
        case "theft":
            SessionMetrics.suspectedTheft()
            events.session(.suspectedTheft, id: identity.id, user: reply.count == 3 ? reply[1].string : nil)
            SessionMetrics.operation("load", outcome: "theft")
            logger.warning("a rotated-away session token was used after its grace: possible theft", metadata: [
                "session": "\(identity)", "revoked": "\(configuration.rotation.revokeOnSuspectedTheft)",
            ])
            if reply.count == 3, let user = reply[1].string, !user.isEmpty, let head = reply[2].string {
                // The family is gone; its head leaves the user's index (which would also prune it lazily).
                _ = try? await pipeline([RedisCommand("ZREM", indexKey(user: user, tag: identity.tag), head)])
                events.session(.destroyed(.revocation), id: head, user: user)
            }
            return nil
        default:
            SessionMetrics.operation("load", outcome: "none")
            return nil
        }
    }

    /// What the read-only round trip of `load` found.
    enum ReadOnlyLoad {
        /// A live session that needs no write.
        case live(Session)
        /// No such key: never created, ended, or expired.
        case absent
        /// A renewal tombstone, an expiry passed but not yet enforced, or a touch due: the load script decides.
        case needsScript
    }

    /// `TIME`, encoded once.
    private static let time = RedisCommand("TIME")

    /// The common case of `load` without a script: `HGETALL` alone (cheaper for Redis than a script call). It
    /// settles a live session that needs no touch, and a missing key; anything that may need a write (lazy touch,
    /// deleting an expired session, following or revoking a renewal) is left to the load script, which decides
    /// atomically. The rules are the script's; the time is Redis's, estimated by ``RedisClock``, which a `TIME` in the
    /// same pipeline refreshes when its sample is over a second old.
    func loadReadOnly(_ identity: SessionIdentity, token: SessionToken) async throws(SessionStoreError) -> ReadOnlyLoad {
        let read = RedisCommand("HGETALL", key(identity))
        let now: Int64
        let fields: [RedisReply]
        if clock.now() != nil {
            // An error reply (say, WRONGTYPE) is no array: the script decides, and reports, what the key holds.
            guard let array = try await send(read).array, let estimated = clock.now() else { return .needsScript }
            (now, fields) = (estimated, array)
        } else {
            let sentAt = ContinuousClock.now
            let replies = try await pipeline([Self.time, read])
            guard replies.count == 2, let time = replies[0].array, time.count == 2,
                  let seconds = time[0].string.flatMap({ Int64($0) }), let microseconds = time[1].string.flatMap({ Int64($0) }),
                  let array = replies[1].array
            else { return .needsScript }
            now = seconds * 1000 + microseconds / 1000
            clock.record(redis: now, sentAt: sentAt, receivedAt: .now)
            fields = array
        }
        if fields.isEmpty { return .absent }
        guard let meta = PackedMetadata(fields: fields) else { return .needsScript }
        let want = min(meta.idle, meta.absoluteExpiry - now)
        let current = min(meta.idle, meta.absoluteExpiry - meta.lastAccess) - (now - meta.lastAccess)
        guard want > 0, current > 0,
              !SessionInternals.touchDue(refreshed: want, current: current, untilAbsolute: meta.absoluteExpiry - now,
                                         threshold: SessionInternals.touchThreshold(idle: meta.idle, fraction: configuration.expiry.touchThreshold))
        else { return .needsScript }
        return .live(decodeSession(identity, token: token, metadata: meta, fields: fields))
    }

    public func save(_ session: inout Session, checkingRevision: Bool) async throws(SessionStoreError) {
        guard session.hasChanges else { return }
        for name in session.pendingChanges.keys { try Session.validate(name: name) }
        var sets: [any RedisArgument] = []
        var deletes: [any RedisArgument] = []
        for (name, value) in session.pendingChanges.sorted(by: { $0.key < $1.key }) {
            if let value {
                sets.append(name)
                sets.append(value)
            } else {
                deletes.append(name)
            }
        }
        // Refuse before any Redis call when the changed values alone are over the limit.
        guard session.byteCount <= configuration.maximumSessionBytes else {
            throw tooLarge(session.byteCount)
        }
        let arguments: [any RedisArgument] = [checkingRevision ? String(session.revision) : "", configuration.maximumSessionBytes, sets.count / 2]
        let reply = try await run(SessionScripts.save, keys: [key(session.identity)], arguments: arguments + sets + deletes)
        switch reply.first?.string {
        case "ok":
            session.revision = Int64(reply[1].int ?? 0)
            for (name, value) in session.pendingChanges { session.attributes[name] = value }
            session.pendingChanges = [:]
            SessionMetrics.operation("save", outcome: "ok")
        case "conflict":
            SessionMetrics.operation("save", outcome: "conflict")
            throw SessionStoreError(.conflict, "\(session.identity) is at revision \(reply[1].int ?? 0), not \(session.revision): reload and retry")
        case "toolarge":
            throw tooLarge(reply[1].int ?? 0)
        default:
            throw notFound(session.identity, "save")
        }
    }

    public func increment(_ session: Session, _ attribute: String, by delta: Int64) async throws(SessionStoreError) -> Int64 {
        try Session.validate(name: attribute)
        let reply = try await run(SessionScripts.increment, keys: [key(session.identity)],
                                  arguments: [attribute, delta, configuration.maximumSessionBytes])
        switch reply.first?.string {
        case "ok":
            SessionMetrics.operation("increment", outcome: "ok")
            return Int64(reply[1].string ?? "") ?? 0
        case "nan":
            throw SessionStoreError(.notANumber, "attribute '\(attribute)' does not hold an integer, or would overflow")
        case "toolarge":
            throw tooLarge(reply[1].int ?? 0)
        default:
            throw notFound(session.identity, "increment")
        }
    }

    public func touch(_ session: Session) async throws(SessionStoreError) -> Bool {
        let reply = try await run(SessionScripts.touch, keys: [key(session.identity)], arguments: [])
        return reply.first?.string == "ok"
    }

    public func rotate(
        _ session: Session, _ kind: RotationKind, authentication: Authentication?
    ) async throws(SessionStoreError) -> Session {
        let (token, user) = try keyring.successor(of: session, kind)
        let identity = keyring.identity(of: token)!
        if identity.tag != session.identity.tag, let user {
            return try await login(session, user: user, token: token, authentication: authentication)
        }
        var keys = [key(session.identity), key(identity)]
        if let user { keys.append(indexKey(user: user, tag: identity.tag)) }
        let bindUser: String
        if case .login(let newUser) = kind { bindUser = newUser } else { bindUser = "" }
        let renewal = kind == .renewal
        let boundIdle = session.user == nil && user != nil ? String(configuration.expiry.idleTimeout.milliseconds) : ""
        let reply = try await run(SessionScripts.rotate, keys: keys, arguments: [
            renewal ? "renewal" : "privilege", configuration.rotation.renewalGrace.milliseconds,
            configuration.rotation.theftDetectionWindow.milliseconds, identity.id, session.identity.id, bindUser,
            session.family.encoded, boundIdle, slotPrefix(identity.tag), authentication?.encoded ?? "",
            configuration.expiry.rememberedLifetime(authentication).map(String.init) ?? "",
        ], revoking: true)
        switch reply.first?.string {
        case "ok" where reply.count >= 7:
            SessionMetrics.operation("rotate", outcome: "ok")
            events.rotated(kind, id: identity.id, user: user)
            let now = Int64(reply[2].int ?? 0)
            return Session(
                identity: identity, token: token, user: user, createdAt: session.createdAt,
                lastAccessAt: SessionInternals.date(milliseconds: now),
                absoluteExpiry: SessionInternals.date(milliseconds: Int64(reply[5].int ?? 0)),
                idleTimeout: .milliseconds(Int64(reply[6].int ?? 0)), revision: Int64(reply[1].int ?? 0), keyring: keyring,
                reachedThroughGrace: false, family: renewal ? session.family : nil,
                attributes: Self.attributes(reply[3].array ?? []),
                authentication: reply[4].bytes.flatMap { AuthenticationContext(encoded: $0) }
            )
        case "rotated":
            throw alreadyRotated(session.identity)
        default:
            throw notFound(session.identity, "rotate")
        }
    }

    public func destroy(_ session: Session) async throws(SessionStoreError) {
        var keys = [key(session.identity)]
        if let user = session.user { keys.append(indexKey(user: user, tag: session.identity.tag)) }
        let reply = try await run(SessionScripts.destroy, keys: keys, arguments: [session.identity.id, slotPrefix(session.identity.tag)], revoking: true)
        SessionMetrics.operation("destroy", outcome: "ok")
        if (reply.count > 1 ? reply[1].int ?? 0 : 0) > 0 { events.session(.destroyed(.logout), id: session.identity.id, user: session.user) }
    }

    public func sessions(ofUser user: String) async throws(SessionStoreError) -> [SessionSummary] {
        let tag = keyring.slotTag(forUser: user)
        let reply = try await run(SessionScripts.list, keys: [indexKey(user: user, tag: tag)], arguments: [slotPrefix(tag)])
        return stride(from: 0, to: reply.count - 3, by: 4).map { (index: Int) -> SessionSummary in
            let id: String = reply[index].string ?? ""
            let created = Int64(reply[index + 1].int ?? 0)
            let accessed = Int64(reply[index + 2].int ?? 0)
            let recorded: AuthenticationContext? = reply[index + 3].bytes.flatMap { AuthenticationContext(encoded: $0) }
            return SessionInternals.summary(id: id, createdAt: created, lastAccessAt: accessed, authentication: recorded)
        }
    }

    public func destroySessions(ofUser user: String, keeping: Session?) async throws(SessionStoreError) -> Int {
        let tag = keyring.slotTag(forUser: user)
        let reply = try await run(SessionScripts.destroyMany, keys: [indexKey(user: user, tag: tag)],
                                  arguments: [slotPrefix(tag), keeping?.identity.id ?? "", ""], revoking: true)
        return reportEnded(reply, user: user, reason: .logoutEverywhere)
    }

    public func destroySession(ofUser user: String, handle: String) async throws(SessionStoreError) -> Bool {
        guard !handle.isEmpty else { return false }
        let tag = keyring.slotTag(forUser: user)
        let reply = try await run(SessionScripts.destroyMany, keys: [indexKey(user: user, tag: tag)],
                                  arguments: [slotPrefix(tag), "", handle], revoking: true)
        return reportEnded(reply, user: user, reason: .revocation) > 0
    }
}
