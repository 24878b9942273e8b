// Routes+Devices: the logged-in user's sessions: list them, end one by handle.

import Hummingbird
import HummingbirdSessions

extension ServerApp {
    static func addDeviceRoutes(to group: RouterGroup<ServerContext>) {
        group.get("/sessions") { _, context in
            let session = try await requireLogin(context)
            let current = session.identity.handle
            let entries = try await context.sessions.sessionsOfUser().map {
                SessionEntry(handle: $0.handle, createdAt: $0.createdAt.iso8601, lastAccessAt: $0.lastAccessAt.iso8601, current: $0.handle == current)
            }
            return SessionsBody(sessions: entries)
        }
        group.delete("/sessions/{handle}") { _, context in
            _ = try await requireLogin(context)
            let handle = try context.parameters.require("handle")
            guard try await context.sessions.endSession(handle: handle) else {
                throw APIError(.notFound, message: "no such session")
            }
            return StatusBody(status: "ended")
        }
    }
}
