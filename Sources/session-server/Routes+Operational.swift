// Routes+Operational: /ping, /healthz and /metrics, outside the sessions middleware (no session, cheap).

import Hummingbird

extension ServerApp {
    static func addOperationalRoutes(to router: Router<ServerContext>, settings: ServerSettings) {
        router.get("/ping") { _, _ in
            StatusBody(status: "ok")
        }
        router.get("/healthz") { _, _ in
            guard await settings.healthCheck() else {
                throw APIError(.serviceUnavailable, message: "session store unreachable")
            }
            return StatusBody(status: "ok")
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: settings.metricsText()))
            )
        }
    }
}
