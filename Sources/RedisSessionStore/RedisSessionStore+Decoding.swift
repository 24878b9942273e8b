// RedisSessionStore+Decoding: building arguments for and Session values from the scripts' replies.

import HiredisClient
import SessionStore

extension RedisSessionStore {
    func createKeys(_ identity: SessionIdentity, user: String?) -> [String] {
        var keys = [key(identity)]
        if let user { keys.append(indexKey(user: user, tag: identity.tag)) }
        return keys
    }

    /// The create script's arguments. `remembered` (a remember-me lifetime, ms) replaces the idle timeout and the
    /// absolute lifetime from now; `keepingAuthentication` is a recorded `_a` carried over by a login's copy.
    func createArguments(
        _ identity: SessionIdentity, user: String?, created: Int64?, absoluteExpiry: Int64?,
        revision: Int64, attributes: [String: [UInt8]], authentication: Authentication?, remembered: Int64?,
        keepingAuthentication: [UInt8]? = nil
    ) -> [any RedisArgument] {
        var arguments: [any RedisArgument] = [
            identity.id, remembered ?? configuration.expiry.idleTimeout(bound: user != nil).milliseconds,
            remembered ?? configuration.expiry.absoluteTimeout.milliseconds,
            user ?? "", configuration.maximumSessionsPerUser, configuration.limitPolicy == .refuse ? "refuse" : "evict",
            slotPrefix(identity.tag), created.map(String.init) ?? "",
            remembered == nil ? absoluteExpiry.map(String.init) ?? "" : "", revision,
            SessionInternals.size(of: attributes), authentication?.encoded ?? "", keepingAuthentication ?? [],
        ]
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
            arguments.append(name)
            arguments.append(value)
        }
        return arguments
    }

    /// `(now, created, absolute expiry)` from a create reply.
    func parseCreate(_ reply: [RedisReply]) throws(SessionStoreError) -> (Int64, Int64, Int64) {
        switch reply.first?.string {
        case "ok":
            return (Int64(reply[1].int ?? 0), Int64(reply[2].int ?? 0), Int64(reply[3].int ?? 0))
        case "limit":
            SessionMetrics.operation("create", outcome: "limit")
            throw SessionStoreError(.limitReached, "the user already has \(configuration.maximumSessionsPerUser) sessions")
        case "collision":
            throw SessionStoreError(.unavailable, "a freshly generated session key already exists (should never happen)")
        default:
            throw SessionStoreError(.notFound, "the session expired before it could be written")
        }
    }

    /// Builds a session from the packed metadata (see ``SessionScripts``) and the hash fields.
    func decodeSession(_ identity: SessionIdentity, token: SessionToken?, metadata: [UInt8], fields: [RedisReply]) -> Session? {
        guard let meta = PackedMetadata(metadata) else {
            logger.error("a stored session has unreadable metadata; treating it as absent", metadata: ["session": "\(identity)"])
            return nil
        }
        return decodeSession(identity, token: token, metadata: meta, fields: fields)
    }

    /// A session from its parsed metadata and its hash fields (`HGETALL` order: name, value, …).
    package func decodeSession(_ identity: SessionIdentity, token: SessionToken?, metadata meta: PackedMetadata, fields: [RedisReply]) -> Session {
        var attributes: [String: [UInt8]] = [:]
        var user: String?
        var family: SessionFamily?
        var authentication: AuthenticationContext?
        var index = 0
        // Besides attributes, a session has 1 to 4 metadata fields: reserve only when there are attributes.
        if fields.count > 8 { attributes.reserveCapacity(fields.count / 2 - 2) }
        while index + 1 < fields.count {
            // Metadata fields are "" and "_…"; attribute names never start with "_".
            if case .bulk(let name) = fields[index], case .bulk(let value) = fields[index + 1], let first = name.first {
                if first != UInt8(ascii: "_") {
                    attributes[String(decoding: name, as: UTF8.self)] = value
                } else if name.count == 2 && name[1] == UInt8(ascii: "u") {
                    user = String(decoding: value, as: UTF8.self)
                } else if name.count == 2 && name[1] == UInt8(ascii: "f") {
                    family = SessionFamily(encoded: value)
                } else if name.count == 2 && name[1] == UInt8(ascii: "a") {
                    authentication = AuthenticationContext(encoded: value)
                }
            }
            index += 2
        }
        return Session(
            identity: identity, token: token, user: user, createdAt: SessionInternals.date(milliseconds: meta.created),
            lastAccessAt: SessionInternals.date(milliseconds: meta.lastAccess),
            absoluteExpiry: SessionInternals.date(milliseconds: meta.absoluteExpiry), idleTimeout: .milliseconds(meta.idle),
            revision: meta.revision, keyring: keyring, reachedThroughGrace: token == nil, family: family,
            attributes: attributes, authentication: authentication
        )
    }

    /// The attributes among hash fields (`HGETALL` order), leaving out the metadata fields.
    static func attributes(_ fields: [RedisReply]) -> [String: [UInt8]] {
        var attributes: [String: [UInt8]] = [:]
        var index = 0
        while index + 1 < fields.count {
            if case .bulk(let name) = fields[index], case .bulk(let value) = fields[index + 1], let first = name.first,
               first != UInt8(ascii: "_") {
                attributes[String(decoding: name, as: UTF8.self)] = value
            }
            index += 2
        }
        return attributes
    }

    /// The value of the hash field `name` among hash fields (`HGETALL` order).
    static func field(_ name: String, in fields: [RedisReply]) -> [UInt8]? {
        var index = 0
        while index + 1 < fields.count {
            if case .bulk(let bytes) = fields[index], bytes.elementsEqual(name.utf8) { return fields[index + 1].bytes }
            index += 2
        }
        return nil
    }

    func tooLarge(_ size: Int) -> SessionStoreError {
        SessionStoreError(.tooLarge, "the session would be \(size) bytes, over the limit of \(configuration.maximumSessionBytes); nothing was written")
    }

    func notFound(_ identity: SessionIdentity, _ operation: String) -> SessionStoreError {
        SessionMetrics.operation(operation, outcome: "not_found")
        return SessionStoreError(.notFound, "\(identity) no longer exists (expired, destroyed or rotated away); nothing was written")
    }
}

/// The 27-byte metadata field the scripts pack with `struct.pack('>I6I5I5I4I4I3', …)`.
package struct PackedMetadata: Sendable, Equatable {
    package let created: Int64
    package let lastAccess: Int64
    package let absoluteExpiry: Int64
    package let idle: Int64
    package let revision: Int64
    package let size: Int64

    /// Parses the packed bytes; `nil` unless there are exactly 27 of them.
    package init?(_ bytes: [UInt8]) {
        guard bytes.count == 27 else { return nil }
        var offset = 0
        func read(_ width: Int) -> Int64 {
            defer { offset += width }
            return bytes[offset..<offset + width].reduce(0) { $0 << 8 | Int64($1) }
        }
        created = read(6)
        lastAccess = created + read(5)
        absoluteExpiry = created + read(5)
        idle = read(4)
        revision = read(4)
        size = read(3)
    }

    /// The metadata field (`""`) of a session's `HGETALL` reply; `nil` for a tombstone, nothing, or unreadable bytes.
    init?(fields: [RedisReply]) {
        var index = 0
        while index + 1 < fields.count {
            if case .bulk(let name) = fields[index], name.isEmpty, let bytes = fields[index + 1].bytes {
                self.init(bytes)
                return
            }
            index += 2
        }
        return nil
    }
}
