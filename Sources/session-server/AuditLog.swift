// AuditLog: one JSON line on standard output for every session and token-family lifecycle event (no secrets).

import Dispatch
import Foundation
import ServiceLifecycle
import SessionStore

/// Writes each event of a ``SessionEvents`` bus as a JSON line:
/// `{"audit":"session.logged_in","detail":null,"session":"<handle>","user":"alice","at":"…","instance":"app1"}`
/// (`"family"` instead of `"session"` for token families; `detail` is the rotation kind or the destruction reason).
///
/// Events carry no token (a session appears by its opaque handle, a family by its id), so neither does the log.
/// Subscribes when created, so no event is missed before the service starts; the lines are written on a queue of
/// their own, never on Swift's cooperative threads (a write to a pipe may block).
struct AuditLog: Service {
    private let events: AsyncStream<SessionEvent>
    private let instance: String
    private let write: @Sendable (Data) -> Void

    /// Subscribes to `bus`; `write` receives each line with its newline (default: standard output).
    init(bus: SessionEvents, instance: String, write: (@Sendable (Data) -> Void)? = nil) {
        self.events = bus.subscribe()
        self.instance = instance
        if let write {
            self.write = write
        } else {
            let queue = DispatchQueue(label: "session-server.audit-log")
            self.write = { line in queue.async { FileHandle.standardOutput.write(line) } }
        }
    }

    func run() async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        await withGracefulShutdownHandler {
            for await event in events.cancelOnGracefulShutdown() {
                guard var line = try? encoder.encode(Self.line(event, instance: instance)) else { continue }
                line.append(UInt8(ascii: "\n"))
                write(line)
            }
        } onGracefulShutdown: {}
    }

    /// The line's members.
    struct Line: Encodable {
        let audit: String
        let detail: String?
        let session: String?
        let family: String?
        let user: String?
        let at: String
        let instance: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(audit, forKey: .audit)
            try container.encode(detail, forKey: .detail)
            try container.encodeIfPresent(session, forKey: .session)
            try container.encodeIfPresent(family, forKey: .family)
            try container.encode(user, forKey: .user)
            try container.encode(at, forKey: .at)
            try container.encode(instance, forKey: .instance)
        }

        enum CodingKeys: String, CodingKey { case audit, detail, session, family, user, at, instance }
    }

    static func line(_ event: SessionEvent, instance: String) -> Line {
        var session: String?
        var family: String?
        switch event.subject {
        case .session(let handle): session = handle
        case .tokenFamily(let id): family = id
        }
        return Line(audit: event.name, detail: event.detail, session: session, family: family, user: event.user,
                    at: event.date.iso8601, instance: instance)
    }
}
