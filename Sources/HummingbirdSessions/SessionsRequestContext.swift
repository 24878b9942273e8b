// SessionsRequestContext: the request context protocol that gives handlers the per-request session handle.

import Hummingbird

/// A request context that carries the per-request ``RequestSessions`` handle set by ``SessionsMiddleware``.
///
/// ```swift
/// struct AppContext: SessionsRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var sessions = RequestSessions.detached
///     init(source: Source) { coreContext = .init(source: source) }
/// }
/// ```
public protocol SessionsRequestContext: RequestContext {
    /// The session handle; the middleware replaces the detached default with one bound to the request.
    var sessions: RequestSessions { get set }
}

/// A ready-made ``SessionsRequestContext``.
public struct BasicSessionsRequestContext: SessionsRequestContext {
    /// Hummingbird's core context.
    public var coreContext: CoreRequestContextStorage
    /// The session handle for this request.
    public var sessions: RequestSessions

    /// Creates the context for a request.
    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.sessions = .detached
    }
}
