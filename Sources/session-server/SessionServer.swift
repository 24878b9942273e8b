// SessionServer: the `session-server` command: options, store, metrics backend, and the service group.

import ArgumentParser
import Foundation
import HiredisClient
import Hummingbird
import NIOPosix
import HummingbirdSessions
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import SessionStore
import SessionTokens

/// The example app server: a JSON API over the distributed session store.
@main
struct SessionServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session-server",
        abstract: "Example app server for the Redis-backed session store.",
        discussion: """
            Every option can also be set by an environment variable: SESSION_HOST, SESSION_PORT, SESSION_REDIS_URL, \
            SESSION_REDIS_TLS_CA_FILE, SESSION_REDIS_TLS_CERT_FILE, SESSION_REDIS_TLS_KEY_FILE, SESSION_REDIS_CONNECTIONS, \
            SESSION_MEMORY (1), SESSION_INSTANCE_ID, SESSION_IDLE_TIMEOUT, SESSION_ANONYMOUS_IDLE_TIMEOUT, \
            SESSION_ABSOLUTE_TIMEOUT, SESSION_RENEW_GRACE, SESSION_REVOKE_ON_THEFT (1), SESSION_MAX_SESSIONS_PER_USER, \
            SESSION_USERS_FILE, SESSION_INSECURE_COOKIES (1), SESSION_EVENT_LOOP_THREADS, SESSION_JWT_SIGNING_KEY_FILE, \
            SESSION_ACCESS_TOKEN_TTL, SESSION_REFRESH_TOKEN_TTL, SESSION_REFRESH_GRACE, SESSION_REFRESH_TOKEN_COOKIE (1), \
            SESSION_TOKEN_ISSUER, SESSION_TOKEN_AUDIENCE, SESSION_TRUSTED_PROXIES (comma-separated), SESSION_REAUTH_WINDOW, \
            SESSION_REMEMBER_ME_LIFETIME, SESSION_OTLP_ENDPOINT. Command-line options win.
            Spans (HTTP request → store operation → Redis command) are exported over OTLP/HTTP only when an endpoint \
            is configured: --otlp-endpoint, or the standard OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
            (the other OTEL_* variables apply too); otherwise no tracer is bootstrapped.
            Access tokens are signed with Ed25519 keys derived from the session secrets (one per secret version, the version \
            in the kid), so instances sharing the secrets share the keys; --jwt-signing-key-file replaces them with PEM keys.
            Secrets never go on the command line (ps shows it): SESSION_SECRETS="2:<secret>,1:<secret>" (version:secret, \
            the first signs new tokens, all are accepted; each at least 32 bytes), or SESSION_SECRET=<secret> (short for \
            1:<secret>), or --secret-file FILE holding either form. SESSION_ROUTING_KEY (at least 32 bytes) keeps a user's \
            sessions together across secret rotations; when absent it is derived from the lowest-version secret.
            Without --users, the demo users alice and bob get the password from SESSION_DEMO_PASSWORD, or random \
            ones printed at start-up.
            """
    )

    @Option(help: "Address to listen on. (env: SESSION_HOST)")
    var host: String?

    @Option(help: "Port to listen on (default 8080). (env: SESSION_PORT)")
    var port: Int?

    @Option(name: .customLong("redis"), help: ArgumentHelp("Shared Redis URL; absent: an embedded redis-server on a free loopback port. (env: SESSION_REDIS_URL)", valueName: "URL"))
    var redisURL: String?

    @Option(help: ArgumentHelp("PEM file of the certificate authority that signed Redis's certificate (rediss:// URLs; default: the system's roots). (env: SESSION_REDIS_TLS_CA_FILE)", valueName: "FILE"))
    var redisTlsCaFile: String?

    @Option(help: ArgumentHelp("PEM file of a client certificate for mutual TLS with Redis (with --redis-tls-key-file). (env: SESSION_REDIS_TLS_CERT_FILE)", valueName: "FILE"))
    var redisTlsCertFile: String?

    @Option(help: ArgumentHelp("PEM file of the client certificate's private key. (env: SESSION_REDIS_TLS_KEY_FILE)", valueName: "FILE"))
    var redisTlsKeyFile: String?

    @Flag(help: "Use the in-memory store (single instance only). (env: SESSION_MEMORY=1)")
    var memory = false

    @Option(help: "Instance id sent as X-Instance (default: the hostname, or server-<port>). (env: SESSION_INSTANCE_ID)")
    var instanceId: String?

    @Option(help: "Idle timeout, e.g. 30m. (env: SESSION_IDLE_TIMEOUT)")
    var idleTimeout: ServerDuration?

    @Option(help: "Absolute timeout, e.g. 12h. (env: SESSION_ABSOLUTE_TIMEOUT)")
    var absoluteTimeout: ServerDuration?

    @Option(help: "Idle timeout of anonymous sessions (no user logged in), e.g. 15m (the default). (env: SESSION_ANONYMOUS_IDLE_TIMEOUT)")
    var anonymousIdleTimeout: ServerDuration?

    @Option(help: "Grace window for the old token after renewal, e.g. 5s. (env: SESSION_RENEW_GRACE)")
    var renewGrace: ServerDuration?

    @Flag(help: "End the whole session family when a renewed-away token is used after its grace (possible theft). (env: SESSION_REVOKE_ON_THEFT=1)")
    var revokeOnTheft = false

    @Flag(help: "Make logout, logout-everywhere and renewal wait up to 100 ms for one replica to confirm them (WAIT 1 100), so that a failover cannot bring an ended session back; unconfirmed ones are logged and counted. (env: SESSION_DURABLE_REVOCATION=1)")
    var durableRevocation = false

    @Option(help: "Most sessions one user may have; the oldest is ended beyond it (default 1000: the demo accounts are shared by load tests). (env: SESSION_MAX_SESSIONS_PER_USER)")
    var maxSessionsPerUser: Int?

    @Option(help: ArgumentHelp("File with the session secrets ('2:<secret>,1:<secret>' or one secret); required with --redis unless SESSION_SECRETS or SESSION_SECRET is set; default: random per process.", valueName: "FILE"))
    var secretFile: String?

    /// Refused with a clear message: a secret in argv is visible to every user of the host (`ps`).
    @Option(help: .hidden)
    var secret: String?

    @Option(name: .customLong("users"), help: ArgumentHelp("Demo users: JSON object {\"user\": \"password\"}. (env: SESSION_USERS_FILE)", valueName: "FILE"))
    var usersFile: String?

    @Flag(help: "Plain-HTTP local use only: cookie `sid` without Secure and without the __Host- prefix. (env: SESSION_INSECURE_COOKIES=1)")
    var insecureCookies = false

    @Option(help: "Redis connections to keep open (default: one per event loop, growing to 8 under load); they share the event-loop threads, none has a thread of its own. (env: SESSION_REDIS_CONNECTIONS)")
    var redisConnections: Int?

    @Option(help: "HTTP event-loop threads (default: one per core); give fewer when several instances share a host. (env: SESSION_EVENT_LOOP_THREADS)")
    var eventLoopThreads: Int?

    @Option(help: ArgumentHelp("PEM file of the access-token signing key (Ed25519 PKCS#8 or P-256): the first key in the file signs, any further ones only verify (rotation); default: Ed25519 keys derived from the session secrets. (env: SESSION_JWT_SIGNING_KEY_FILE)", valueName: "FILE"))
    var jwtSigningKeyFile: String?

    @Option(help: "Lifetime of an access token, e.g. 5m (the default). (env: SESSION_ACCESS_TOKEN_TTL)")
    var accessTokenTtl: ServerDuration?

    @Option(help: "Absolute lifetime of a refresh-token family, e.g. 720h (the default). (env: SESSION_REFRESH_TOKEN_TTL)")
    var refreshTokenTtl: ServerDuration?

    @Option(help: "How long a spent refresh token still returns the same successor (concurrent refreshes), e.g. 2s (the default). (env: SESSION_REFRESH_GRACE)")
    var refreshGrace: ServerDuration?

    @Flag(help: "Browser clients: deliver refresh tokens in the HttpOnly; Secure; SameSite=Strict cookie __Host-rt instead of the JSON body. (env: SESSION_REFRESH_TOKEN_COOKIE=1)")
    var refreshTokenCookie = false

    @Option(help: "The iss claim of access tokens (default: session-server). (env: SESSION_TOKEN_ISSUER)")
    var tokenIssuer: String?

    @Option(help: "The aud claim of access tokens (default: session-api). (env: SESSION_TOKEN_AUDIENCE)")
    var tokenAudience: String?

    @Option(name: .customLong("trusted-proxy"), help: ArgumentHelp("A proxy (address or CIDR block) whose X-Forwarded-For is believed for the client's address; repeatable; default none (the connection's peer is the client). (env: SESSION_TRUSTED_PROXIES, comma-separated)", valueName: "CIDR"))
    var trustedProxies: [String] = []

    @Option(help: "How recent a login must be for sensitive actions (POST /logout-all), e.g. 10m (the default); older needs POST /reauth. (env: SESSION_REAUTH_WINDOW)")
    var reauthWindow: ServerDuration?

    @Option(help: "Absolute lifetime of a login with \"remember\": true, e.g. 720h (the default); the cookie's Max-Age follows it. (env: SESSION_REMEMBER_ME_LIFETIME)")
    var rememberMeLifetime: ServerDuration?

    @Option(help: ArgumentHelp("Export spans over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318 (spans go to its /v1/traces); default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT when set, else no export. (env: SESSION_OTLP_ENDPOINT)", valueName: "URL"))
    var otlpEndpoint: String?

    func run() async throws {
        let options = try ResolvedOptions(self, environment: ProcessInfo.processInfo.environment)
        var logger = Logger(label: "session-server")
        logger[metadataKey: "instance"] = "\(options.instanceID)"

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        // Before the store and the Redis client: they take the tracer bootstrapped now.
        let tracing = try ServerTracing.bootstrap(options.tracing, instanceID: options.instanceID, logger: Logger(label: "session-server.tracing"))

        // Hummingbird's default is the process-wide NIO group, one thread per core; a smaller group is ours to stop.
        // Redis connections run on the same event loops as the HTTP channels.
        let eventLoops = options.eventLoopThreads.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
        let backend = try await StoreBackend.open(
            memory: options.memory, redisURL: options.redisURL, redisTLS: options.redisTLS,
            redisConnections: options.redisConnections, durableRevocation: options.durableRevocation, keyring: options.keyring,
            configuration: options.sessionConfiguration, tokenFamilies: options.tokens.families,
            eventLoopGroup: eventLoops ?? MultiThreadedEventLoopGroup.singleton, tracer: tracing?.tracer,
            logger: Logger(label: "session-server.store")
        )
        let events = options.sessionConfiguration.events
        let auditLog = AuditLog(bus: events, instance: options.instanceID)
        let tokens = try TokenService(store: backend.tokenStore, codec: options.tokens.codec,
                                      accessTokenLifetime: options.tokens.accessTokenLifetime, events: events,
                                      logger: Logger(label: "session-server.tokens"))
        let settings = ServerSettings(
            instanceID: options.instanceID,
            sessions: options.sessionsConfiguration,
            users: options.users,
            trustedProxies: options.trustedProxies,
            reauthenticationWindow: options.reauthenticationWindow,
            tokens: tokens,
            refreshTokenCookie: options.tokens.refreshCookie,
            healthCheck: backend.healthCheck,
            metricsFactory: nil,
            metricsText: { registry.emitToString() },
            tracesRequests: tracing != nil
        )
        let app = try ServerApp.buildApplication(
            store: backend.store, settings: settings, host: options.host, port: options.port,
            eventLoopGroup: eventLoops.map { .shared($0) } ?? .singleton, logger: logger
        )
        for line in options.startupNotes { logger.notice("\(line)") }
        logger.notice("\(ServerTracing.startupNote(tracing, options.tracing))")
        logger.notice("session-server listening on http://\(options.host):\(options.port) as instance \(options.instanceID), store: \(backend.description)")

        var services: [any Service] = [auditLog, tokens, app]
        if let client = backend.client { services.insert(client, at: 0) }
        if let tracing { services.insert(tracing.service, at: 0) }  // stops last: the final spans are exported
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        try? await eventLoops?.shutdownGracefully()
        await backend.embedded?.stop()
        if let failure { throw failure }
        logger.notice("session-server stopped")
    }
}
