// Request+Sessions: `req.sessions`, the per-request handle that VaporSessionsMiddleware stores on the request.

import Vapor

extension Request {
    /// The key of the handle in `Request.storage`.
    struct SessionsKey: StorageKey {
        typealias Value = VaporRequestSessions
    }

    /// This request's session handle, bound by ``VaporSessionsMiddleware``.
    ///
    /// ```swift
    /// app.get("me") { req async throws -> String in
    ///     try await req.sessions.user() ?? "anonymous"
    /// }
    /// ```
    ///
    /// Without the middleware (a route outside its group) it is ``VaporRequestSessions/detached``, whose every
    /// operation fails with 500. Not to be confused with Vapor's own `req.session` (its `SessionsMiddleware`).
    public var sessions: VaporRequestSessions {
        storage[SessionsKey.self] ?? .detached
    }
}
