// VaporRequestSessions: the per-request session handle: lazy load, attributes, CSRF token, saving the changes.

import Foundation
import Logging
import SessionStore
import Synchronization
import Vapor

/// The session of one request, as handlers see it through `req.sessions` (see ``Vapor/Request/sessions``).
///
/// The session is loaded lazily, on first use, from the session cookie. Attribute changes are kept in the
/// handle and saved after the handler returns (only the changed attributes). ``login(user:)``, ``renew()``,
/// ``logout()`` and ``logoutEverywhere()`` act on the store at once and make the middleware set or clear the
/// cookie on the response.
///
/// ```swift
/// app.post("cart") { req async throws -> String in
///     var cart = try await req.sessions.get("cart", as: [String].self) ?? []
///     cart.append(try req.content.get(String.self, at: "item"))
///     try await req.sessions.set("cart", to: cart)      // saved after the handler, this attribute only
///     return "\(cart.count) items"
/// }
/// ```
///
/// Every operation throws ``VaporSessionsError``: `503` when the store is unavailable, so requests fail closed.
/// A handle is meant for the one request it was made for; calls should not overlap.
public final class VaporRequestSessions: Sendable {
    /// What the response must do with the cookie.
    enum CookieAction: Sendable {
        case keep
        case set(StoredSession)
        case clear
    }

    struct State: Sendable {
        var loaded = false
        var session: StoredSession?
        var cookie = CookieAction.keep
        /// A session was found or created for this request (its response is that user's: never cached).
        var used = false
    }

    let store: (any SessionStore)?
    let candidates: [String]
    let logger: Logger
    let state = Mutex(State())

    /// The handle of a request that ``VaporSessionsMiddleware`` did not see: every operation fails with 500.
    public static let detached = VaporRequestSessions()

    private init() {
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
    func boundStore() throws(VaporSessionsError) -> any SessionStore {
        guard let store else { throw VaporSessionsError(.internalServerError, "VaporSessionsMiddleware is not installed") }
        return store
    }

    /// The current session (loaded from the cookie on first use), or `nil` when there is none.
    ///
    /// With several cookies of our name, the session is used only when exactly one of them loads.
    public func current() async throws(VaporSessionsError) -> StoredSession? {
        let store = try boundStore()
        if let known = state.withLock({ $0.loaded ? Optional.some($0.session) : nil }) { return known }
        var session: StoredSession?
        var found = 0
        for candidate in candidates {
            do {
                if let loaded = try await store.load(candidate) {
                    found += 1
                    session = loaded
                }
            } catch {
                throw VaporSessionsError(error)
            }
        }
        if found > 1 {
            VaporSessionsMetrics.refused(.ambiguousCookies)
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
    public func user() async throws(VaporSessionsError) -> String? {
        try await current()?.user
    }

    /// The current session, creating an anonymous one when there is none.
    func currentOrNew() async throws(VaporSessionsError) -> StoredSession {
        if let session = try await current() { return session }
        let store = try boundStore()
        let created: StoredSession
        do { created = try await store.create(user: nil) } catch { throw VaporSessionsError(error) }
        replace(with: created)
        return created
    }

    /// Makes `session` the request's session, with a new token for the cookie.
    func replace(with session: StoredSession) {
        state.withLock {
            $0.loaded = true
            $0.session = session
            $0.cookie = .set(session)
            $0.used = true
        }
    }

    /// Applies a change to the loaded session value.
    func mutate(_ change: (inout StoredSession) throws(SessionStoreError) -> Void) throws(VaporSessionsError) {
        let result: Result<Void, SessionStoreError> = state.withLock { state in
            guard var session = state.session else { return .success(()) }
            do throws(SessionStoreError) { try change(&session) } catch { return .failure(error) }
            state.session = session
            if case .set = state.cookie { state.cookie = .set(session) }
            return .success(())
        }
        if case .failure(let error) = result { throw VaporSessionsError(error) }
    }

    /// Forgets the session and makes the response clear the cookie.
    func clear() {
        state.withLock {
            $0.loaded = true
            $0.session = nil
            $0.cookie = .clear
        }
    }
}
