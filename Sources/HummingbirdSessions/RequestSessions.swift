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
        /// A session was found or created for this request (its response is that user's: never cached).
        var used = false
    }

    let store: (any SessionStore)?
    let candidates: [String]
    let logger: Logger
    let state = Mutex(State())

    /// The detached handle a request context starts with (shared: a detached handle never changes, because every
    /// operation fails before touching its state), so that making a context allocates nothing for sessions.
    public static let detached = RequestSessions()

    /// A detached handle: every operation fails until ``SessionsMiddleware`` replaces it with a bound one.
    /// Prefer ``detached``.
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
        var session: Session?
        var found = 0
        for candidate in candidates {
            do {
                if let loaded = try await store.load(candidate) {
                    found += 1
                    session = loaded
                }
            } catch {
                throw SessionsError(error)
            }
        }
        if found > 1 {
            SessionsMetrics.refused(.ambiguousCookies)
            logger.warning("several session cookies designate live sessions; using none", metadata: ["count": "\(found)"])
            session = nil
        }
        return state.withLock { state in
            if !state.loaded {
                state.loaded = true
                state.session = session
                state.used = state.used || session != nil
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
            $0.used = true
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
    ///
    /// A stored value that no longer decodes as `type` (a type changed in a deploy) reads as absent: it is logged
    /// and counted (`session_undecodable_attributes_total`), and the next ``set(_:to:)`` replaces it, so one bad
    /// payload never turns into an error on every request of that user.
    public func get<Value: Decodable>(_ name: String, as type: Value.Type = Value.self) async throws(SessionsError) -> Value? {
        guard let session = try await current() else { return nil }
        do {
            return try session.get(name, as: type)
        } catch {
            logger.warning("a session attribute no longer decodes; treating it as absent", metadata: [
                "attribute": "\(name)", "session": "\(session.identity)",
            ])
            return nil
        }
    }

    /// Sets an attribute (saved after the handler); creates an anonymous session when there is none.
    public func set<Value: Encodable>(_ name: String, to value: Value) async throws(SessionsError) {
        _ = try await currentOrNew()
        try mutate { (session: inout Session) throws(SessionStoreError) in try session.set(name, to: value) }
    }

    /// Removes an attribute (deleted after the handler).
    public func remove(_ name: String) async throws(SessionsError) {
        guard try await current() != nil else { return }
        try mutate { (session: inout Session) throws(SessionStoreError) in try session.remove(name) }
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

    /// Forgets the session and makes the response clear the cookie.
    func clear() {
        state.withLock {
            $0.loaded = true
            $0.session = nil
            $0.cookie = .clear
        }
    }

    /// Saves pending attribute changes (after the handler). A session that another request ended meanwhile (a
    /// logout, or a login in another tab that replaced the cookie) loses them, and the cookie is left alone: the
    /// browser may already hold the newer one, which clearing would delete. Only a request that ends its session
    /// itself clears the cookie.
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
            logger.debug("session ended before its changes were saved; changes dropped", metadata: ["session": "\(session.identity)"])
            state.withLock { $0.session = nil }
        } catch {
            throw SessionsError(error)
        }
    }

    /// Whether the request used a session (so that its response must not be cached).
    var usedSession: Bool {
        state.withLock { state in
            if case .keep = state.cookie { return state.used }
            return true
        }
    }

    /// Whether the response must set or clear the cookie.
    var hasCookieChange: Bool {
        state.withLock {
            if case .keep = $0.cookie { return false }
            return true
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
