// SessionStore: the protocol every session store (Redis, in-memory) implements with the same semantics.

/// Stores sessions: create, load, save changes, touch, rotate, destroy, and the per-user index.
///
/// Semantics every implementation shares (the conformance suite checks them):
/// - `load` returns `nil` for any token that is malformed, unknown, expired, destroyed, or rotated away past
///   its grace: a bad cookie is "no session", never an error. A token the store did not issue is never adopted.
/// - Expiry: the session's time to live is `min(idle timeout, time left to the absolute expiry)`; activity,
///   saves and rotation never extend the absolute expiry. Loads refresh the idle expiry lazily.
/// - Every operation is atomic; after `destroy`, no save, touch or rotation brings the session back.
///
/// ```swift
/// var session = try await store.create(user: nil)
/// try session.set("theme", to: "dark")
/// try await store.save(&session)
/// let token = session.token!.rawValue              // goes into the cookie
/// let loggedIn = try await store.rotate(session, .login(user: "alice"))   // new token; the old one is dead
/// ```
public protocol SessionStore: Sendable {
    /// The expiry, rotation and limit settings.
    var configuration: SessionConfiguration { get }

    /// Creates a session, optionally bound to a user and with initial attributes, and returns it with its token.
    /// - Parameter authentication: for a session created at login, how the user authenticated: recorded in the
    ///   session (``Session/authentication``) with the store's time; with `remember`, the session gets the
    ///   remember-me lifetime.
    /// - Throws: ``SessionStoreError`` `.tooLarge`, `.limitReached` (per-user limit with the refuse policy),
    ///   `.unavailable`.
    func create(user: String?, attributes: [String: [UInt8]], authentication: Authentication?) async throws(SessionStoreError) -> Session

    /// Loads the session a token designates, refreshing its idle expiry lazily.
    /// - Returns: `nil` for malformed, unknown, expired, destroyed or rotated-away tokens.
    /// - Throws: ``SessionStoreError`` `.unavailable` when the backing store fails (fail closed).
    func load(_ token: String) async throws(SessionStoreError) -> Session?

    /// Writes the session's pending attribute changes (only those), refreshes its idle expiry and increments
    /// its revision; on success the value holds the new revision and no pending changes.
    /// - Parameters:
    ///   - session: the session with its changes.
    ///   - checkingRevision: when `true`, fails with `.conflict` if the stored revision is not the loaded one.
    /// - Throws: ``SessionStoreError`` `.notFound` (destroyed or expired: nothing written), `.conflict`,
    ///   `.tooLarge` (nothing written), `.unavailable`.
    func save(_ session: inout Session, checkingRevision: Bool) async throws(SessionStoreError)

    /// Atomically adds `delta` to an integer attribute (missing counts as 0) and returns the new value.
    /// - Throws: ``SessionStoreError`` `.notFound`, `.notANumber`, `.invalidAttributeName`, `.unavailable`.
    func increment(_ session: Session, _ attribute: String, by delta: Int64) async throws(SessionStoreError) -> Int64

    /// Refreshes the idle expiry now. Returns `false` when the session no longer exists.
    func touch(_ session: Session) async throws(SessionStoreError) -> Bool

    /// Replaces the session's token atomically: the data as stored (every acknowledged write), the same user,
    /// created-at and absolute expiry, and a higher revision. A renewal keeps the CSRF token and leaves the old
    /// token working for the grace; login and privilege change replace the CSRF token and kill the old token at
    /// once. Pending changes are not saved by rotation.
    /// - Throws: ``SessionStoreError`` `.alreadyRotated` when another request rotated it first, or when the session
    ///   was reached through a renewed-away token; `.notFound`; `.conflict` (login only: parallel writes kept
    ///   overtaking the copy; retry); `.limitReached` (nothing changed); `.unavailable`.
    ///
    /// Given an `authentication` (a login or a re-authentication), the rotation also records it in the session, in
    /// the same atomic step: ``Session/authentication`` becomes it, with the store's time; with `remember`, the
    /// session's absolute expiry becomes the remember-me lifetime from now. Without one, the recorded
    /// authentication is kept.
    func rotate(_ session: Session, _ kind: RotationKind, authentication: Authentication?) async throws(SessionStoreError) -> Session

    /// Destroys the session (logout) with its renewal tombstones, following a renewal made meanwhile by another
    /// request to the live session. Later saves, touches and rotations fail with `.notFound`.
    func destroy(_ session: Session) async throws(SessionStoreError)

    /// The live sessions of a user, oldest first. Prunes index entries of expired sessions.
    func sessions(ofUser user: String) async throws(SessionStoreError) -> [SessionSummary]

    /// Destroys every session of a user, except `keeping` when given; returns how many were destroyed.
    @discardableResult
    func destroySessions(ofUser user: String, keeping: Session?) async throws(SessionStoreError) -> Int

    /// Destroys one session of a user by the handle from ``sessions(ofUser:)``; `false` when there is none.
    @discardableResult
    func destroySession(ofUser user: String, handle: String) async throws(SessionStoreError) -> Bool
}

extension SessionStore {
    /// Creates an anonymous session or one bound to `user`, with no attributes.
    public func create(user: String? = nil) async throws(SessionStoreError) -> Session {
        try await create(user: user, attributes: [:], authentication: nil)
    }

    /// Creates a session with initial attributes, recording no authentication.
    public func create(user: String?, attributes: [String: [UInt8]]) async throws(SessionStoreError) -> Session {
        try await create(user: user, attributes: attributes, authentication: nil)
    }

    /// Rotates the token, keeping the recorded authentication (see ``rotate(_:_:authentication:)``).
    public func rotate(_ session: Session, _ kind: RotationKind) async throws(SessionStoreError) -> Session {
        try await rotate(session, kind, authentication: nil)
    }

    /// Saves pending changes without a revision check.
    public func save(_ session: inout Session) async throws(SessionStoreError) {
        try await save(&session, checkingRevision: false)
    }
}
