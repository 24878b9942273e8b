// VaporRequestSessions+Response: what the middleware does after the handler: save the changes, set the cookie.

import SessionStore

extension VaporRequestSessions {
    /// Saves pending attribute changes (after the handler). A session that another request ended meanwhile (a
    /// logout, or a login in another tab that replaced the cookie) loses them, and the cookie is left alone: the
    /// browser may already hold the newer one, which clearing would delete. Only a request that ends its session
    /// itself clears the cookie.
    func saveChanges() async throws(VaporSessionsError) {
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
            throw VaporSessionsError(error)
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

    /// The `Set-Cookie` value to send, if any.
    func setCookieHeader(configuration: VaporSessionsConfiguration) -> String? {
        switch state.withLock({ $0.cookie }) {
        case .keep:
            return nil
        case .set(let session):
            guard let token = session.token else { return nil }
            let maxAge = VaporSessionCookie.maxAge(for: session, configuration: configuration)
            return VaporSessionCookie.setting(token, maxAge: maxAge, configuration: configuration)
        case .clear:
            return VaporSessionCookie.clearing(configuration: configuration)
        }
    }
}
