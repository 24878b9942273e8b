// SessionStoreDriver+Data: Vapor's SessionData ([String: String]) as `vapor.`-prefixed JSON string attributes.

import Foundation
import Logging
import SessionStore
import Vapor

extension SessionStoreDriver {
    /// What `readSession` saw, kept on the request so that `updateSession` can save only the differences.
    struct Read: Sendable {
        let id: SessionID
        let session: StoredSession
        let data: [String: String]
    }

    /// The key of ``Read`` in `Request.storage`.
    struct ReadKey: StorageKey {
        typealias Value = Read
    }

    /// The attributes that hold `data`: `vapor.<key>` → the value as a JSON string.
    static func attributes(of data: [String: String]) -> [String: [UInt8]] {
        var attributes: [String: [UInt8]] = [:]
        for (key, value) in data {
            attributes[attributePrefix + key] = encoded(value)
        }
        return attributes
    }

    /// Vapor's data of a session: its `vapor.`-prefixed attributes that hold JSON strings. Anything else (an
    /// attribute set through ``VaporRequestSessions``, a value that is not a string) is not Vapor's, and skipped.
    static func data(of session: StoredSession, logger: Logger) -> SessionData {
        var data: [String: String] = [:]
        for name in session.attributeNames where name.hasPrefix(attributePrefix) {
            guard let bytes = session.rawValue(name), let value = try? JSONDecoder().decode(String.self, from: Data(bytes)) else {
                logger.debug("a vapor session attribute does not hold a string; skipped", metadata: ["session": "\(session.identity)"])
                continue
            }
            data[String(name.dropFirst(attributePrefix.count))] = value
        }
        return SessionData(initialData: data)
    }

    /// Records on `session` the keys set, changed or removed between `before` and `after`.
    static func apply(from before: [String: String], to after: [String: String], on session: inout StoredSession) throws(VaporSessionsError) {
        do throws(SessionStoreError) {
            for (key, value) in after where before[key] != value {
                try session.set(attributePrefix + key, to: value)
            }
            for key in before.keys where after[key] == nil {
                try session.remove(attributePrefix + key)
            }
        } catch {
            throw VaporSessionsError(error)
        }
    }

    /// A string as JSON bytes (what `Session.set(_:to:)` would store).
    private static func encoded(_ value: String) -> [UInt8] {
        Array((try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8))
    }
}
