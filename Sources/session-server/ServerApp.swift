// ServerApp: builds the session server's router and Application from a store and settings (testable).

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdSessions
import Logging
import Metrics
import NIOCore
import SessionHTTP
import SessionStore
import SessionTokens

/// Everything the routes need besides the store: identity, demo users, health check, metrics.
struct ServerSettings: Sendable {
    /// Sent as `X-Instance` on every response and reported by `/me`.
    var instanceID: String
    /// Cookie and CSRF settings of the sessions middleware.
    var sessions: SessionsConfiguration
    /// Who may log in.
    var users: DemoUsers
    /// The proxies whose `X-Forwarded-For` gives the client's address (recorded at login).
    var trustedProxies: TrustedProxies = .none
    /// How recent a login must be for sensitive actions (`POST /logout-all`).
    var reauthenticationWindow: Duration = .seconds(600)
    /// Access tokens and refresh-token families.
    var tokens: TokenService
    /// The refresh-token cookie of browser mode (`nil`: refresh tokens go in the JSON body).
    var refreshTokenCookie: RefreshTokenCookie?
    /// Answers `/healthz`: `true` when the backing store is reachable.
    var healthCheck: @Sendable () async -> Bool
    /// Where request metrics are recorded (`nil`: the global swift-metrics backend).
    var metricsFactory: (any MetricsFactory)?
    /// Renders `/metrics` (Prometheus text exposition).
    var metricsText: @Sendable () -> String
    /// Adds Hummingbird's `TracingMiddleware` (a span per request, the parent of the store's spans). Default: `false`,
    /// so a server that exports no spans pays nothing for them.
    var tracesRequests = false
}

/// The request context of every route: the sessions handle and the verified access token of `HummingbirdSessions`.
struct ServerContext: SessionsRequestContext, BearerTokenRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    var sessions: RequestSessions = .detached
    var accessToken: AccessTokenClaims?
    /// The connection's peer (HAProxy's address behind it).
    let remoteAddress: SocketAddress?

    init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

enum ServerApp {
    static let instanceHeader = HTTPField.Name("X-Instance")!

    /// Builds the router: cheap routes (`/ping`, `/healthz`, `/metrics`) outside the sessions middleware, the
    /// session routes inside it; every response carries `X-Instance` and errors are JSON.
    static func buildRouter(store: any SessionStore, settings: ServerSettings) throws -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        if settings.tracesRequests { router.add(middleware: TracingMiddleware()) }  // outermost: the span covers it all
        router.add(middleware: InstanceHeaderMiddleware(instanceID: settings.instanceID))
        router.add(middleware: RequestMetricsMiddleware(factory: settings.metricsFactory))
        router.add(middleware: JSONErrorMiddleware())
        addOperationalRoutes(to: router, settings: settings)
        addTokenRoutes(to: router, store: store, settings: settings)

        let sessions = router.group().add(middleware: try SessionsMiddleware(store: store, configuration: settings.sessions))
        addAuthRoutes(to: sessions, settings: settings)
        addDataRoutes(to: sessions)
        addDeviceRoutes(to: sessions)
        addSessionTokenRoutes(to: sessions, settings: settings)
        return router
    }

    /// Builds the application listening on `host`:`port`.
    static func buildApplication(
        store: any SessionStore,
        settings: ServerSettings,
        host: String,
        port: Int,
        eventLoopGroup: EventLoopGroupProvider = .singleton,
        logger: Logger
    ) throws -> some ApplicationProtocol {
        let router = try buildRouter(store: store, settings: settings)
        return Application(
            router: router,
            server: .http1OnEventLoops(),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            eventLoopGroupProvider: eventLoopGroup,
            logger: logger
        )
    }
}
