// RevocationFollower: the service that keeps this instance's list of revoked token families current.

import ServiceLifecycle
import SessionTokens

/// Runs ``TokenService/followRevocations()`` until graceful shutdown.
struct RevocationFollower: Service {
    let tokens: TokenService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await tokens.followRevocations()
        }
    }
}
