// Routes+Devices: the logged-in user's sessions: list them, end one by handle.

import Hummingbird
import HummingbirdSessions

extension ServerApp {
    static func addDeviceRoutes(to group: RouterGroup<ServerContext>) {
        group.get("/sessions") { _, context in
            let session = try await requireLogin(context)
            let current = session.identity.handle
            let entries = try await context.sessions.sessionsOfUser().map { summary in
                let authentication = summary.authentication
                return SessionEntry(
                    handle: summary.handle, createdAt: summary.createdAt.iso8601, lastAccessAt: summary.lastAccessAt.iso8601,
                    authenticatedAt: authentication?.authenticatedAt.iso8601, method: authentication?.method,
                    userAgent: authentication?.userAgent, ip: authentication?.ipAddress, device: authentication?.device,
                    current: summary.handle == current
                )
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
