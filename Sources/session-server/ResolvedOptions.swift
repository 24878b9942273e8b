// ResolvedOptions: the server's settings from command-line options, then environment variables, then defaults.

import ArgumentParser
import Foundation
import HiredisClient
import HummingbirdSessions
import SessionHTTP
import SessionStore

/// The options with environment fallbacks applied and validated.
struct ResolvedOptions {
    var host: String
    var port: Int
    var redisURL: String?
    /// TLS files for a rediss:// URL (`nil` for none given).
    var redisTLS: RedisTLSConfiguration?
    var memory: Bool
    var instanceID: String
    var keyring: SessionKeyring
    var sessionConfiguration: SessionConfiguration
    var sessionsConfiguration: SessionsConfiguration
    var users: DemoUsers
    /// HTTP event-loop threads; `nil`: Hummingbird's default (one per core).
    var eventLoopThreads: Int?
    /// Redis connections the pool keeps open; `nil`: one per event loop, growing to 8 under load.
    var redisConnections: Int?
    /// Destroy and rotation wait for one replica (the store's durable revocation).
    var durableRevocation: Bool
    /// Access-token keys and lifetimes, refresh-token families.
    var tokens: TokenOptions
    /// The proxies whose `X-Forwarded-For` gives the client's address (none by default).
    var trustedProxies: TrustedProxies
    /// How recent a login must be for sensitive actions.
    var reauthenticationWindow: Duration
    /// Span export over OTLP (on when an endpoint is configured).
    var tracing: TracingOptions
    /// Lines to log at start-up (generated passwords, ephemeral secret).
    var startupNotes: [String] = []

    init(_ command: SessionServer, environment: [String: String]) throws {
        func env(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        func flag(_ name: String) -> Bool { ["1", "true", "yes", "on"].contains(env(name)?.lowercased() ?? "") }
        func duration(_ option: ServerDuration?, _ name: String) throws -> Duration? {
            if let option { return option.duration }
            guard let text = env(name) else { return nil }
            guard let parsed = ServerDuration(argument: text) else { throw ValidationError("\(name): not a duration: \(text)") }
            return parsed.duration
        }
        func integer(_ option: Int?, _ name: String, _ what: String = "a number") throws -> Int? {
            if let option { return option }
            guard let text = env(name) else { return nil }
            guard let value = Int(text) else { throw ValidationError("\(name): not \(what): \(text)") }
            return value
        }

        host = command.host ?? env("SESSION_HOST") ?? "127.0.0.1"
        port = try integer(command.port, "SESSION_PORT", "a port") ?? 8080
        guard (0...65535).contains(port) else { throw ValidationError("port out of range: \(port)") }
        memory = command.memory || flag("SESSION_MEMORY")
        redisURL = command.redisURL ?? env("SESSION_REDIS_URL")
        if memory && redisURL != nil { throw ValidationError("--memory and --redis exclude each other") }
        let caFile = command.redisTlsCaFile ?? env("SESSION_REDIS_TLS_CA_FILE")
        let certFile = command.redisTlsCertFile ?? env("SESSION_REDIS_TLS_CERT_FILE")
        let keyFile = command.redisTlsKeyFile ?? env("SESSION_REDIS_TLS_KEY_FILE")
        if caFile != nil || certFile != nil || keyFile != nil {
            guard let redisURL, RedisURL.usesTLS(redisURL) else {
                throw ValidationError("the Redis TLS files need a rediss:// (or rediss-sentinel://) URL in --redis or SESSION_REDIS_URL")
            }
            guard (certFile == nil) == (keyFile == nil) else {
                throw ValidationError("--redis-tls-cert-file and --redis-tls-key-file go together")
            }
            redisTLS = RedisTLSConfiguration(certificateAuthorityFile: caFile, certificateFile: certFile, privateKeyFile: keyFile)
        }
        instanceID = command.instanceId ?? env("SESSION_INSTANCE_ID") ?? Self.defaultInstanceID(port: port)

        if command.secret != nil {
            throw ValidationError("--secret is not accepted: the command line is visible to every user (ps). Use SESSION_SECRETS, SESSION_SECRET or --secret-file")
        }
        var secrets: String?
        if let file = command.secretFile {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("cannot read the secret file \(file)")
            }
            secrets = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            secrets = env("SESSION_SECRETS")
        }
        let routingKey = env("SESSION_ROUTING_KEY")
        if secrets != nil || env("SESSION_SECRET") != nil {
            do throws(SessionStoreError) {
                if let secrets {
                    keyring = try SessionKeyring(secrets: secrets, routingKey: routingKey)
                } else {
                    // SESSION_SECRET is taken literally (it may contain ':' or ','), as version 1.
                    guard routingKey.map({ $0.utf8.count >= 32 }) ?? true else {
                        throw SessionStoreError(.invalidConfiguration, "the routing key needs at least 32 bytes")
                    }
                    keyring = try SessionKeyring(current: .init(version: 1, secret: env("SESSION_SECRET")!),
                                                 routingKey: routingKey.map { Array($0.utf8) })
                }
            } catch {
                throw ValidationError("invalid session secrets: \(error.message)")
            }
        } else {
            guard redisURL == nil else {
                throw ValidationError("a secret is required with --redis (every instance must share it): set SESSION_SECRETS or SESSION_SECRET, or pass --secret-file")
            }
            keyring = .ephemeral()
            startupNotes.append("using a random ephemeral secret: sessions end when this process does")
        }

        var settings = SessionConfiguration()
        if let idle = try duration(command.idleTimeout, "SESSION_IDLE_TIMEOUT") { settings.expiry.idleTimeout = idle }
        if let absolute = try duration(command.absoluteTimeout, "SESSION_ABSOLUTE_TIMEOUT") { settings.expiry.absoluteTimeout = absolute }
        if let idle = try duration(command.anonymousIdleTimeout, "SESSION_ANONYMOUS_IDLE_TIMEOUT") { settings.expiry.anonymousIdleTimeout = idle }
        if let grace = try duration(command.renewGrace, "SESSION_RENEW_GRACE") { settings.rotation.renewalGrace = grace }
        settings.rotation.revokeOnSuspectedTheft = command.revokeOnTheft || flag("SESSION_REVOKE_ON_THEFT")
        // The store's default (32) suits real accounts; the demo's alice and bob are shared by hundreds of virtual users.
        settings.maximumSessionsPerUser = Self.demoSessionsPerUser
        if let limit = try integer(command.maxSessionsPerUser, "SESSION_MAX_SESSIONS_PER_USER") {
            settings.maximumSessionsPerUser = limit
        }
        if let lifetime = try duration(command.rememberMeLifetime, "SESSION_REMEMBER_ME_LIFETIME") {
            settings.expiry.rememberMeLifetime = lifetime
        }
        do { try settings.validate() } catch { throw ValidationError("invalid session settings: \(error)") }
        reauthenticationWindow = try duration(command.reauthWindow, "SESSION_REAUTH_WINDOW") ?? .seconds(600)
        guard reauthenticationWindow > .zero else { throw ValidationError("the reauthentication window must be positive") }
        let proxies = command.trustedProxies.isEmpty
            ? (env("SESSION_TRUSTED_PROXIES")?.split(separator: ",").map(String.init) ?? [])
            : command.trustedProxies
        do {
            trustedProxies = try TrustedProxies(proxies)
        } catch {
            throw ValidationError("\(command.trustedProxies.isEmpty ? "SESSION_TRUSTED_PROXIES" : "--trusted-proxy"): \(error)")
        }
        sessionConfiguration = settings

        eventLoopThreads = try integer(command.eventLoopThreads, "SESSION_EVENT_LOOP_THREADS")
        if let threads = eventLoopThreads, !(1...256).contains(threads) {
            throw ValidationError("event-loop threads must be within 1...256: \(threads)")
        }
        redisConnections = try integer(command.redisConnections, "SESSION_REDIS_CONNECTIONS")
        if let count = redisConnections, !(1...1024).contains(count) {
            throw ValidationError("Redis connections must be within 1...1024: \(count)")
        }

        durableRevocation = command.durableRevocation || flag("SESSION_DURABLE_REVOCATION")
        if durableRevocation, memory {
            throw ValidationError("--durable-revocation needs Redis replicas; the in-memory store has none")
        }

        let insecureCookies = command.insecureCookies || flag("SESSION_INSECURE_COOKIES")
        sessionsConfiguration = insecureCookies ? .insecureLocal() : SessionsConfiguration()
        tokens = try TokenOptions(
            command, keyring: keyring, insecureCookies: insecureCookies, env: env, flag: flag,
            duration: { option, name throws in try duration(option, name) }
        )

        tracing = try TracingOptions(option: command.otlpEndpoint ?? env("SESSION_OTLP_ENDPOINT"), environment: environment)

        if let file = command.usersFile ?? env("SESSION_USERS_FILE") {
            do { users = try DemoUsers(file: file) } catch { throw ValidationError("cannot read users file \(file): \(error)") }
        } else if let password = env("SESSION_DEMO_PASSWORD") {
            users = DemoUsers(["alice": password, "bob": password])
        } else {
            let alice = DemoUsers.randomPassword()
            let bob = DemoUsers.randomPassword()
            users = DemoUsers(["alice": alice, "bob": bob])
            startupNotes.append("demo users: alice / \(alice), bob / \(bob)")
        }
    }

    /// The default session limit per user of the example server.
    static let demoSessionsPerUser = 1000

    /// The hostname, or `server-<port>` when there is none.
    static func defaultInstanceID(port: Int) -> String {
        let name = ProcessInfo.processInfo.hostName
        return name.isEmpty || name == "localhost" ? "server-\(port)" : name
    }
}
