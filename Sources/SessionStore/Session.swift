// Session: one loaded session: metadata, typed attributes, and the changes waiting to be saved.

import Foundation

/// A session as loaded from (or created in) a ``SessionStore``.
///
/// Attributes are `Codable` values stored as JSON. Changes made with ``set(_:to:)`` and ``remove(_:)`` are kept
/// in the value until ``SessionStore/save(_:checkingRevision:)`` writes exactly those attributes, so two requests
/// that change different attributes never lose each other's update.
///
/// ```swift
/// guard var session = try await store.load(cookieValue) else { return .unauthorized }
/// let cart = try session.get("cart", as: Cart.self) ?? Cart()
/// try session.set("cart", to: cart.adding(item))
/// try await store.save(&session)
/// ```
public struct Session: Sendable {
    /// Where the session lives (an HMAC of its token, never the token).
    public let identity: SessionIdentity
    /// The token, when this value was created or rotated here, or loaded with it; `nil` when the session was
    /// reached through a rotated-away token within its grace (the client gets the new token from the request
    /// that rotated it).
    public let token: SessionToken?
    /// The user the session is bound to, if any.
    public let user: String?
    /// When the session was created (server time of the store).
    public let createdAt: Date
    /// When the session's expiry was last refreshed (lazy touch keeps this within the touch threshold).
    public let lastAccessAt: Date
    /// When the session ends at the latest, whatever the activity.
    public let absoluteExpiry: Date
    /// The sliding idle timeout.
    public let idleTimeout: Duration
    /// Incremented by every save, increment and rotation.
    public package(set) var revision: Int64
    /// The synchronizer token for CSRF protection (an HMAC under the server secret, computed when asked for). It is
    /// bound to the session's family: a renewal keeps it (requests in flight during a renewal stay valid), login
    /// and privilege changes replace it. Compare it with ``ConstantTime/equal(_:_:)``.
    public var csrfToken: String { keyring.csrfToken(for: family) }
    /// `true` when reached through a token that was renewed by another request within its grace window.
    public let reachedThroughGrace: Bool
    /// How and when the user last authenticated (recorded by a login or re-authentication that was given an
    /// ``Authentication``); `nil` for anonymous sessions and logins that recorded nothing.
    public let authentication: AuthenticationContext?

    /// The family the CSRF token is bound to (the session that started it; kept by renewals).
    package let family: SessionFamily
    private let keyring: SessionKeyring
    package var attributes: [String: [UInt8]]
    package var pendingChanges: [String: [UInt8]?] = [:]

    package init(
        identity: SessionIdentity, token: SessionToken?, user: String?, createdAt: Date, lastAccessAt: Date,
        absoluteExpiry: Date, idleTimeout: Duration, revision: Int64, keyring: SessionKeyring,
        reachedThroughGrace: Bool, family: SessionFamily?, attributes: [String: [UInt8]],
        authentication: AuthenticationContext? = nil
    ) {
        self.identity = identity
        self.token = token
        self.user = user
        self.createdAt = createdAt
        self.lastAccessAt = lastAccessAt
        self.absoluteExpiry = absoluteExpiry
        self.idleTimeout = idleTimeout
        self.revision = revision
        self.keyring = keyring
        self.reachedThroughGrace = reachedThroughGrace
        // A session that no renewal produced starts its own family (its token's key version and its id).
        self.family = family ?? SessionFamily(keyVersion: token?.keyVersion ?? keyring.current.version, id: identity.id)
        self.attributes = attributes
        self.authentication = authentication
    }

    /// When the session ends if it stays idle: the earlier of idle expiry and absolute expiry.
    public var expiresAt: Date {
        min(lastAccessAt.addingTimeInterval(Double(idleTimeout.milliseconds) / 1000), absoluteExpiry)
    }

    /// The names of the attributes, including unsaved changes.
    public var attributeNames: [String] {
        var names = Set(attributes.keys)
        for (name, value) in pendingChanges {
            if value == nil { names.remove(name) } else { names.insert(name) }
        }
        return names.sorted()
    }

    /// Whether there are changes that ``SessionStore/save(_:checkingRevision:)`` would write.
    public var hasChanges: Bool { !pendingChanges.isEmpty }

    /// Reads an attribute.
    /// - Returns: the value, or `nil` when the attribute is not set.
    /// - Throws: ``SessionStoreError`` `.undecodableAttribute` when the stored JSON no longer decodes as `type`
    ///   (for example after a deploy changed the type); the rest of the session stays usable.
    public func get<Value: Decodable>(_ name: String, as type: Value.Type = Value.self) throws(SessionStoreError) -> Value? {
        guard let bytes = rawValue(name) else { return nil }
        do {
            return try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            SessionMetrics.undecodableAttribute()
            throw SessionStoreError(.undecodableAttribute, "attribute '\(name)' does not decode as \(Value.self): \(error)")
        }
    }

    /// Sets an attribute (saved by the next ``SessionStore/save(_:checkingRevision:)``).
    /// - Throws: ``SessionStoreError`` `.invalidAttributeName` for an empty, reserved (`_`-prefixed) or over-long
    ///   name; `.tooLarge` when the value cannot be encoded.
    public mutating func set<Value: Encodable>(_ name: String, to value: Value) throws(SessionStoreError) {
        try Self.validate(name: name)
        do {
            pendingChanges[name] = .some(Array(try JSONEncoder().encode(value)))
        } catch {
            throw SessionStoreError(.invalidAttributeName, "attribute '\(name)' cannot be encoded as JSON: \(error)")
        }
    }

    /// Removes an attribute (deleted by the next save).
    /// - Throws: ``SessionStoreError`` `.invalidAttributeName` for an empty or reserved (`_`-prefixed) name: the
    ///   session's own fields cannot be removed this way.
    public mutating func remove(_ name: String) throws(SessionStoreError) {
        try Self.validate(name: name)
        pendingChanges[name] = .some(nil)
    }

    /// The stored JSON bytes of an attribute, with unsaved changes applied.
    public func rawValue(_ name: String) -> [UInt8]? {
        if let change = pendingChanges[name] { return change }
        return attributes[name]
    }

    /// The attributes' total size (names and values), with unsaved changes applied.
    public var byteCount: Int {
        var total = 0
        for name in attributeNames { total += name.utf8.count + (rawValue(name)?.count ?? 0) }
        return total
    }

    package static func validate(name: String) throws(SessionStoreError) {
        guard !name.isEmpty, name.utf8.count <= 200, !name.hasPrefix("_") else {
            throw SessionStoreError(.invalidAttributeName, "attribute names must be 1 to 200 bytes and not start with '_': '\(name.prefix(40))'")
        }
    }
}

/// The session that started a chain of renewals: the CSRF token is derived from it, so that it survives renewals.
/// Stored (as `"<version>:<id>"`) only in sessions that a renewal produced.
package struct SessionFamily: Sendable, Hashable {
    /// The key version of the token that started the family.
    package let keyVersion: UInt8
    /// The storage id of the session that started the family.
    package let id: String

    package init(keyVersion: UInt8, id: String) {
        self.keyVersion = keyVersion
        self.id = id
    }

    /// Parses the stored form; `nil` when malformed.
    package init?(encoded bytes: some Collection<UInt8>) {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
              let version = UInt8(String(decoding: bytes[..<colon], as: UTF8.self)) else { return nil }
        let id = String(decoding: bytes[bytes.index(after: colon)...], as: UTF8.self)
        guard !id.isEmpty else { return nil }
        self.init(keyVersion: version, id: id)
    }

    /// The stored form, `"<version>:<id>"`.
    package var encoded: String { "\(keyVersion):\(id)" }
}

/// A summary of one of a user's sessions, for "where am I logged in" pages. Never carries the token.
public struct SessionSummary: Sendable, Hashable {
    /// An opaque handle to end this session with ``SessionStore/destroySession(ofUser:handle:)``.
    public let handle: String
    /// When it was created.
    public let createdAt: Date
    /// When it was last active (within the touch threshold).
    public let lastAccessAt: Date
    /// How and when its user authenticated, from which client (device, address); `nil` when nothing was recorded.
    public let authentication: AuthenticationContext?

    package init(handle: String, createdAt: Date, lastAccessAt: Date, authentication: AuthenticationContext? = nil) {
        self.handle = handle
        self.createdAt = createdAt
        self.lastAccessAt = lastAccessAt
        self.authentication = authentication
    }
}

/// Why a session's token is replaced.
public enum RotationKind: Sendable, Hashable {
    /// A privilege change (role change, re-authentication): the old token is dead at once.
    case privilegeChange
    /// Login: binds the session to `user` (rotating with no grace). The session moves to the user's hash slot.
    case login(user: String)
    /// Periodic renewal: the old token keeps working for the renewal grace window, then its use is reported as
    /// possible theft.
    case renewal
}
