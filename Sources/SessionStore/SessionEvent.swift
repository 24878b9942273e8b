// SessionEvent: what happened to a session or a token family (created, logged in, rotated, destroyed, expired, theft).

import Foundation

/// A lifecycle event of a session or of a refresh-token family, as ``SessionEvents`` delivers it.
///
/// An event never carries a token: the subject is the session's opaque handle (the one ``SessionSummary`` lists
/// and ``SessionStore/destroySession(ofUser:handle:)`` accepts) or the token family's id, which are not credentials.
public struct SessionEvent: Sendable, Hashable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// A session or token family was created.
        case created
        /// A user was bound to it (login); the session's token was replaced (a ``rotated(_:)`` event follows).
        case loggedIn
        /// Its token was replaced.
        case rotated(Rotation)
        /// It ended.
        case destroyed(DestructionReason)
        /// It was found expired by a load (or reported by Redis's keyspace notifications, when enabled).
        case expired
        /// A token that had been rotated away was used after its grace: possibly stolen.
        case suspectedTheft
    }

    /// Why a token was replaced.
    public enum Rotation: String, Sendable, Hashable {
        /// Periodic renewal (the old token works for the grace).
        case renewal
        /// Privilege change or re-authentication.
        case privilegeChange = "privilege_change"
        /// Login.
        case login
        /// A refresh-token family's token was spent and replaced (`POST /token/refresh`).
        case refresh
    }

    /// Why a session or family ended.
    public enum DestructionReason: String, Sendable, Hashable {
        /// The user logged out.
        case logout
        /// The user ended every session ("log out everywhere").
        case logoutEverywhere = "logout_everywhere"
        /// The user's session limit evicted it (the oldest go first).
        case limitEviction = "limit_eviction"
        /// It was revoked: ended by handle from another device, after suspected theft, or (token families) by a
        /// revocation.
        case revocation
    }

    /// What the event is about.
    public enum Subject: Sendable, Hashable {
        /// A session, by its handle.
        case session(handle: String)
        /// A refresh-token family, by its id.
        case tokenFamily(id: String)
    }

    /// What happened.
    public let kind: Kind
    /// To what.
    public let subject: Subject
    /// The bound user, when known (`nil` for anonymous sessions and expiry reported without the session's data).
    public let user: String?
    /// When (this server's clock).
    public let date: Date

    /// Describes an event.
    public init(_ kind: Kind, _ subject: Subject, user: String?, date: Date = Date()) {
        self.kind = kind
        self.subject = subject
        self.user = user
        self.date = date
    }

    /// The event's name as audit logs write it: `session.created`, `session.logged_in`, `session.rotated`,
    /// `session.destroyed`, `session.expired`, `session.suspected_theft` (`token_family.…` for families).
    public var name: String {
        let prefix: String
        switch subject {
        case .session: prefix = "session"
        case .tokenFamily: prefix = "token_family"
        }
        let suffix: String
        switch kind {
        case .created: suffix = "created"
        case .loggedIn: suffix = "logged_in"
        case .rotated: suffix = "rotated"
        case .destroyed: suffix = "destroyed"
        case .expired: suffix = "expired"
        case .suspectedTheft: suffix = "suspected_theft"
        }
        return "\(prefix).\(suffix)"
    }

    /// The rotation kind or destruction reason, if the event has one.
    public var detail: String? {
        switch kind {
        case .rotated(let rotation): rotation.rawValue
        case .destroyed(let reason): reason.rawValue
        default: nil
        }
    }

    public var description: String {
        let id: String
        switch subject {
        case .session(let handle): id = handle
        case .tokenFamily(let family): id = family
        }
        return "\(name)\(detail.map { "(\($0))" } ?? "") \(id)"
    }
}

extension SessionEvent.Rotation {
    /// The event rotation of a store rotation.
    package init(_ kind: RotationKind) {
        switch kind {
        case .renewal: self = .renewal
        case .privilegeChange: self = .privilegeChange
        case .login: self = .login
        }
    }
}
