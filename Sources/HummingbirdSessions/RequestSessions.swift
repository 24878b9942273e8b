// RequestSessions: the per-request session handle: lazy load, attributes, login, renewal, logout, CSRF token.

import Foundation
import Logging
import SessionStore
import Synchronization

/// The session of one request, as handlers see it through ``SessionsRequestContext/sessions``.
///
/// The session is loaded lazily, on first use, from the session cookie. Attribute changes are kept in the
/// handle and saved after the handler returns (only the changed attributes). ``login(user:)``, ``renew()``,
/// ``logout()`` and ``logoutEverywhere()`` act on the store at once and make the middleware set or clear the
/// cookie on the response.
///
/// Every operation throws ``SessionsError``: `503` when the store is unavailable, so requests fail closed.
/// A handle is meant for the one request it was made for; calls should not overlap.
public final class RequestSessions: Sendable {
    /// What the response must do with the cookie.
    enum CookieAction: Sendable {
        case keep
        case set(Session)
        case clear
    }

    struct State: Sendable {
        var loaded = false
        var session: Session?
        var cookie = CookieAction.keep
    }

    let store: (any SessionStore)?
    let candidates: [String]
    let logger: Logger
    let state = Mutex(State())

    /// A detached handle: every operation fails until ``SessionsMiddleware`` replaces it with a bound one.
    public init() {
        self.store = nil
        self.candidates = []
        self.logger = Logger(label: "sessions")
    }

    init(store: any SessionStore, candidates: [String], logger: Logger) {
        self.store = store
        self.candidates = candidates
        self.logger = logger
    }

    /// The store, or a 500 when the middleware is not installed.
    func boundStore() throws(SessionsError) -> any SessionStore {
        guard let store else { throw SessionsError(.internalServerError, "SessionsMiddleware is not installed") }
        return store
    }

    /// The current session (loaded from the cookie on first use), or `nil` when there is none.
    ///
    /// With several cookies of our name, the session is used only when exactly one of them loads.
    public func current() async throws(SessionsError) -> Session? {
        let store = try boundStore()
        if let known = state.withLock({ $0.loaded ? Optional.some($0.session) : nil }) { return known }
        var found: [Session] = []
        for candidate in candidates {
            do {
                if let session = try await store.load(candidate) { found.append(session) }
            } catch {
                throw SessionsError(error)
            }
        }
        if found.count > 1 {
            SessionsMetrics.refused(.ambiguousCookies)
            logger.warning("several session cookies designate live sessions; using none", metadata: ["count": "\(found.count)"])
        }
        let session = found.count == 1 ? found[0] : nil
        return state.withLock { state in
            if !state.loaded {
                state.loaded = true
                state.session = session
            }
            return state.session
        }
    }

    /// The user the session is bound to, if any.
    public func user() async throws(SessionsError) -> String? {
        try await current()?.user
    }

    /// The current session, creating an anonymous one when there is none.
    func currentOrNew() async throws(SessionsError) -> Session {
        if let session = try await current() { return session }
        let store = try boundStore()
        let created: Session
        do { created = try await store.create(user: nil) } catch { throw SessionsError(error) }
        replace(with: created)
        return created
    }

    /// Makes `session` the request's session, with a new token for the cookie.
    func replace(with session: Session) {
        state.withLock {
            $0.loaded = true
            $0.session = session
            $0.cookie = .set(session)
        }
    }

    /// Applies a change to the loaded session value.
    func mutate(_ change: (inout Session) throws(SessionStoreError) -> Void) throws(SessionsError) {
        let result: Result<Void, SessionStoreError> = state.withLock { state in
            guard var session = state.session else { return .success(()) }
            do throws(SessionStoreError) { try change(&session) } catch { return .failure(error) }
            state.session = session
            if case .set = state.cookie { state.cookie = .set(session) }
            return .success(())
        }
        if case .failure(let error) = result { throw SessionsError(error) }
    }

    /// Reads an attribute; `nil` when there is no session or no such attribute.
    public func get<Value: Decodable>(_ name: String, as type: Value.Type = Value.self) async throws(SessionsError) -> Value? {
        guard let session = try await current() else { return nil }
        do { return try session.get(name, as: type) } catch { throw SessionsError(error) }
    }

    /// Sets an attribute (saved after the handler); creates an anonymous session when there is none.
    public func set<Value: Encodable>(_ name: String, to value: Value) async throws(SessionsError) {
        _ = try await currentOrNew()
        try mutate { (session: inout Session) throws(SessionStoreError) in try session.set(name, to: value) }
    }

    /// Removes an attribute (deleted after the handler).
    public func remove(_ name: String) async throws(SessionsError) {
        guard try await current() != nil else { return }
        try mutate { (session: inout Session) throws(SessionStoreError) in session.remove(name) }
    }

    /// Atomically adds `delta` to an integer attribute and returns the new value; creates an anonymous session
    /// when there is none.
    @discardableResult
    public func increment(_ name: String, by delta: Int64 = 1) async throws(SessionsError) -> Int64 {
        let session = try await currentOrNew()
        let store = try boundStore()
        do { return try await store.increment(session, name, by: delta) } catch { throw SessionsError(error) }
    }

    /// The CSRF synchronizer token of the session, creating an anonymous session when there is none.
    /// It changes at login and at every rotation.
    public func csrfToken() async throws(SessionsError) -> String {
        try await currentOrNew().csrfToken
    }

    /// Logs `user` in: the session (anonymous or not) gets a new token bound to `user` (rotation
    /// `.login(user:)`), and the pre-login token is dead at once. Pending changes are saved first. When a
    /// parallel request changed the session meanwhile (`.conflict`), the session is loaded again and the login
    /// retried once.
    public func login(user: String) async throws(SessionsError) {
        let store = try boundStore()
        guard var session = try await current() else {
            do { replace(with: try await store.create(user: user)) } catch { throw SessionsError(error) }
            return
        }
        do throws(SessionStoreError) {
            if session.hasChanges { try await store.save(&session) }
            do throws(SessionStoreError) {
                replace(with: try await store.rotate(session, .login(user: user)))
            } catch {
                guard error.code == .conflict, let token = session.token, let fresh = try await store.load(token.rawValue) else {
                    throw error
                }
                replace(with: try await store.rotate(fresh, .login(user: user)))
            }
        } catch {
            throw SessionsError(error)
        }
    }

    /// Renews the session's token (rotation `.renewal`: the old token keeps working for the grace window).
    /// - Returns: `false` when there is no session.
    @discardableResult
    public func renew() async throws(SessionsError) -> Bool {
        try await rotate(.renewal)
    }

    /// Replaces the token after a privilege change (the old token is dead at once).
    /// - Returns: `false` when there is no session.
    @discardableResult
    public func changePrivileges() async throws(SessionsError) -> Bool {
        try await rotate(.privilegeChange)
    }

    private func rotate(_ kind: RotationKind) async throws(SessionsError) -> Bool {
        let store = try boundStore()
        guard var session = try await current() else { return false }
        do {
            if session.hasChanges { try await store.save(&session) }
            replace(with: try await store.rotate(session, kind))
        } catch {
            throw SessionsError(error)
        }
        return true
    }

    /// Ends the session (nothing brings it back) and clears the cookie.
    public func logout() async throws(SessionsError) {
        let store = try boundStore()
        if let session = try await current() {
            do { try await store.destroy(session) } catch where error.code == .notFound {} catch { throw SessionsError(error) }
        }
        clear()
    }

    /// Ends every session of the session's user (on all devices) and clears the cookie; for an anonymous
    /// session, the same as ``logout()``.
    public func logoutEverywhere() async throws(SessionsError) {
        let store = try boundStore()
        if let session = try await current() {
            do {
                if let user = session.user {
                    try await store.destroySessions(ofUser: user, keeping: nil)
                }
                try await store.destroy(session)
            } catch where error.code == .notFound {
            } catch {
                throw SessionsError(error)
            }
        }
        clear()
    }

    /// The live sessions of the session's user (empty for anonymous sessions).
    public func sessionsOfUser() async throws(SessionsError) -> [SessionSummary] {
        guard let user = try await current()?.user else { return [] }
        let store = try boundStore()
        do { return try await store.sessions(ofUser: user) } catch { throw SessionsError(error) }
    }

    /// Ends the user's other sessions (on other devices), keeping this one.
    /// - Returns: how many were ended (0 for an anonymous session or none).
    @discardableResult
    public func logoutOtherSessions() async throws(SessionsError) -> Int {
        guard let session = try await current(), let user = session.user else { return 0 }
        let store = try boundStore()
        do { return try await store.destroySessions(ofUser: user, keeping: session) } catch { throw SessionsError(error) }
    }

    /// Ends one session of the user, by a handle from ``sessionsOfUser()``.
    /// - Returns: `false` when there is no such session (or this session is anonymous).
    @discardableResult
    public func endSession(handle: String) async throws(SessionsError) -> Bool {
        guard let user = try await current()?.user else { return false }
        let store = try boundStore()
        do { return try await store.destroySession(ofUser: user, handle: handle) } catch { throw SessionsError(error) }
    }

    private func clear() {
        state.withLock {
            $0.loaded = true
            $0.session = nil
            $0.cookie = .clear
        }
    }

    /// Saves pending attribute changes (after the handler). A session destroyed meanwhile loses them and its
    /// cookie is cleared.
    func saveChanges() async throws(SessionsError) {
        guard let store, var session = state.withLock({ $0.session }), session.hasChanges else { return }
        do {
            try await store.save(&session)
            let saved = session
            state.withLock { state in
                state.session = saved
                if case .set = state.cookie { state.cookie = .set(saved) }
            }
        } catch where error.code == .notFound {
            logger.debug("session ended before its changes were saved")
            clear()
        } catch {
            throw SessionsError(error)
        }
    }

    /// The cookie header to send, if any.
    func setCookieHeader(configuration: SessionsConfiguration) -> String? {
        switch state.withLock({ $0.cookie }) {
        case .keep:
            return nil
        case .set(let session):
            guard let token = session.token else { return nil }
            return SessionCookie.setting(token, maxAge: SessionCookie.maxAge(for: session, configuration: configuration), configuration: configuration)
        case .clear:
            return SessionCookie.clearing(configuration: configuration)
        }
    }
}
