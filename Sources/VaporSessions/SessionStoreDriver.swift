// SessionStoreDriver: Vapor's AsyncSessionDriver over any SessionStore, for Vapor's own SessionsMiddleware.

import SessionStore
import Vapor

/// A Vapor `AsyncSessionDriver` over any `SessionStore`, for apps that keep Vapor's own `SessionsMiddleware`
/// (`req.session.data[...]`, `SessionAuthenticatable`). Vapor's `SessionID` is the store's token; each key of
/// Vapor's `SessionData` is an attribute named `vapor.<key>` holding the string as JSON.
///
/// ```swift
/// let store = try RedisSessionStore(redis: redis, keyring: keyring)
/// app.sessions.use { _ in SessionStoreDriver(store: store) }
/// app.sessions.configuration = .hardened()                   // __Host- cookie, Secure, HttpOnly (not Vapor's default)
/// app.middleware.use(app.sessions.middleware)
/// ```
///
/// What the driver adds to Vapor's middleware: the store's expiry (idle and absolute), tokens that are never
/// adopted from a client, per-user indexes; **saves of the changed keys only** (Vapor hands every request's
/// whole data to `updateSession`; the driver compares it with what that request read, so a request that changed
/// nothing writes nothing and requests changing different keys keep each other's writes); a session ended
/// meanwhile (a logout elsewhere) is never brought back by a late update; and store outages are a 503
/// ``VaporSessionsError`` (an `AbortError`), not Vapor's 500.
///
/// What Vapor's `SessionsMiddleware` still cannot give, whatever the driver — use ``VaporSessionsMiddleware``
/// for these:
/// - **No rotation on login**: `req.auth.login` / `req.session.authenticate` keep the pre-login session ID, so a
///   planted cookie survives login (session fixation) unless the app rotates by hand (`req.session.id = nil` for
///   a new session with the same data, and `deleteSession` of the old ID, which otherwise stays valid).
/// - **No CSRF protection** of state-changing requests.
/// - **A weak cookie by default**: `vapor-session`, neither `Secure` nor `HttpOnly`, no `__Host-` prefix, a
///   fixed one-week `Expires` unrelated to the session's lifetime (see `SessionsConfiguration.hardened(...)`).
/// - **Loose cookie parsing**: of duplicate cookies, the last one wins, so a cookie planted next to the real one
///   (cookie tossing from a sibling subdomain) is the one used.
/// - **Eager work**: every request with a cookie loads the session, even routes that never use it; a request
///   with an unknown or expired cookie creates a new (empty) session and sets its cookie, even if unused.
/// - **Whole-session values**: an update carries every key, so two requests changing the same key race (the
///   last wins), and there is no atomic increment.
/// - **Errors after the handler**: the update runs after the handler; if it fails, the handler's work is done
///   but the client gets an error (a 503 with this driver).
public struct SessionStoreDriver: AsyncSessionDriver {
    /// The prefix of the attribute names that hold Vapor's keys (`vapor.<key>`), which keeps them apart from the
    /// attributes that ``VaporSessionsMiddleware`` handlers set and lets keys start with `_` (reserved names in
    /// the store) as Vapor's `SessionAuthenticatable` keys do.
    public static let attributePrefix = "vapor."

    /// The store the sessions live in.
    public let store: any SessionStore

    /// Creates the driver.
    /// - Parameter store: where sessions live (`MemorySessionStore`, `RedisSessionStore`, …).
    public init(store: any SessionStore) {
        self.store = store
    }

    /// Creates a session holding `data`; its token is the new `SessionID`.
    /// - Throws: ``VaporSessionsError`` (503 when the store is unavailable, 400 for a key the store refuses).
    public func createSession(_ data: SessionData, for request: Request) async throws -> SessionID {
        let attributes = Self.attributes(of: data.snapshot)
        let session: StoredSession
        do { session = try await store.create(user: nil, attributes: attributes) } catch { throw VaporSessionsError(error) }
        guard let token = session.token else { throw VaporSessionsError(.internalServerError, "the store created a session without a token") }
        return SessionID(string: token.rawValue)
    }

    /// Loads the session a cookie designates; `nil` (so Vapor starts a new one) for an unknown, expired,
    /// destroyed or malformed ID. The loaded session is kept on the request for ``updateSession(_:to:for:)``.
    /// - Throws: ``VaporSessionsError`` 503 when the store is unavailable.
    public func readSession(_ sessionID: SessionID, for request: Request) async throws -> SessionData? {
        let loaded: StoredSession?
        do { loaded = try await store.load(sessionID.string) } catch { throw VaporSessionsError(error) }
        guard let session = loaded else { return nil }
        let data = Self.data(of: session, logger: request.logger)
        request.storage[ReadKey.self] = Read(id: sessionID, session: session, data: data.snapshot)
        return data
    }

    /// Saves the keys this request changed (set or removed) since it read the session; nothing when none did.
    /// A session ended meanwhile keeps ended: the changes are dropped and the ID stays the same (Vapor then
    /// starts a new session on the next request).
    /// - Throws: ``VaporSessionsError`` (503 when the store is unavailable).
    public func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) async throws -> SessionID {
        let updated = data.snapshot
        guard let read = try await readState(of: sessionID, for: request), read.data != updated else { return sessionID }
        var session = read.session
        try Self.apply(from: read.data, to: updated, on: &session)
        guard session.hasChanges else { return sessionID }
        do {
            try await store.save(&session)
        } catch where error.code == .notFound {
            request.logger.debug("session ended before its changes were saved; changes dropped", metadata: ["session": "\(session.identity)"])
        } catch {
            throw VaporSessionsError(error)
        }
        return sessionID
    }

    /// What this request read of the session (kept by ``readSession(_:for:)``), or the session as stored now;
    /// `nil` when it no longer exists.
    private func readState(of sessionID: SessionID, for request: Request) async throws(VaporSessionsError) -> Read? {
        if let read = request.storage[ReadKey.self], read.id == sessionID { return read }
        let loaded: StoredSession?
        do { loaded = try await store.load(sessionID.string) } catch { throw VaporSessionsError(error) }
        return loaded.map { Read(id: sessionID, session: $0, data: Self.data(of: $0, logger: request.logger).snapshot) }
    }

    /// Destroys the session (`req.session.destroy()`); nothing brings it back. Unknown IDs are ignored.
    /// - Throws: ``VaporSessionsError`` 503 when the store is unavailable.
    public func deleteSession(_ sessionID: SessionID, for request: Request) async throws {
        do {
            var session = request.storage[ReadKey.self].flatMap { $0.id == sessionID ? $0.session : nil }
            if session == nil { session = try await store.load(sessionID.string) }
            guard let session else { return }
            try await store.destroy(session)
        } catch where error.code == .notFound {
        } catch {
            throw VaporSessionsError(error)
        }
    }
}
