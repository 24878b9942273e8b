// TokenService+Service: the token service as a swift-service-lifecycle Service that follows the revocations.

import ServiceLifecycle

extension TokenService: Service {
    /// Keeps this instance's revocation list current (``followRevocations()``) until graceful shutdown; run it beside
    /// the HTTP server in a `ServiceGroup`. Until its first confirmation, bearer verification fails closed (503).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await followRevocations()
        }
    }
}
