// OptionsTests: command-line options, their environment fallbacks, and the checks on them.

import ArgumentParser
import Crypto
import Foundation
import Testing

@testable import session_server

@Suite struct OptionsTests {
    static let secret = String(repeating: "s", count: 32)

    @Test func trustedProxiesReauthWindowAndRememberMe() throws {
        let defaults = try ResolvedOptions(try SessionServer.parse([]), environment: ["SESSION_DEMO_PASSWORD": "pw"])
        #expect(defaults.trustedProxies.blocks.isEmpty, "X-Forwarded-For is ignored unless configured")
        #expect(defaults.reauthenticationWindow == .seconds(600))
        #expect(defaults.sessionConfiguration.expiry.rememberMeLifetime == .seconds(720 * 3600))

        let flags = try ResolvedOptions(try SessionServer.parse([
            "--trusted-proxy", "127.0.0.1/32", "--trusted-proxy", "10.0.0.0/8", "--reauth-window", "5m", "--remember-me-lifetime", "48h",
        ]), environment: ["SESSION_DEMO_PASSWORD": "pw", "SESSION_TRUSTED_PROXIES": "192.168.0.0/16"])
        #expect(flags.trustedProxies.blocks.map(\.description) == ["127.0.0.1/32", "10.0.0.0/8"], "the flags win over the environment")
        #expect(flags.reauthenticationWindow == .seconds(300))
        #expect(flags.sessionConfiguration.expiry.rememberMeLifetime == .seconds(48 * 3600))

        let environment = try ResolvedOptions(try SessionServer.parse([]), environment: [
            "SESSION_DEMO_PASSWORD": "pw", "SESSION_TRUSTED_PROXIES": "172.30.0.10/32, ::1",
            "SESSION_REAUTH_WINDOW": "30s", "SESSION_REMEMBER_ME_LIFETIME": "1h",
        ])
        #expect(environment.trustedProxies.blocks.map(\.description) == ["172.30.0.10/32", "::1/128"])
        #expect(environment.reauthenticationWindow == .seconds(30))
        #expect(environment.sessionConfiguration.expiry.rememberMeLifetime == .seconds(3600))

        #expect(throws: ValidationError.self) { try ResolvedOptions(try SessionServer.parse(["--trusted-proxy", "haproxy"]), environment: [:]) }
        #expect(throws: ValidationError.self) { try ResolvedOptions(try SessionServer.parse([]), environment: ["SESSION_TRUSTED_PROXIES": "10.0.0.0/40"]) }
        #expect(throws: ValidationError.self) { try ResolvedOptions(try SessionServer.parse(["--remember-me-lifetime", "2000h"]), environment: [:]) }
        #expect(throws: (any Error).self) { try ResolvedOptions(try SessionServer.parse(["--reauth-window", "0s"]), environment: [:]) }
        #expect(throws: ValidationError.self) { try ResolvedOptions(try SessionServer.parse([]), environment: ["SESSION_REAUTH_WINDOW": "0s"]) }
    }

    @Test func defaultsAndEnvironmentFallbacks() throws {
        let defaults = try ResolvedOptions(try SessionServer.parse([]), environment: ["SESSION_DEMO_PASSWORD": "pw"])
        #expect(defaults.host == "127.0.0.1" && defaults.port == 8080 && defaults.redisURL == nil && !defaults.memory)
        #expect(defaults.users.verify(user: "alice", password: "pw") && defaults.users.verify(user: "bob", password: "pw"))
        #expect(defaults.sessionsConfiguration.cookieName == "__Host-sid")

        let environment = [
            "SESSION_HOST": "0.0.0.0", "SESSION_PORT": "9001", "SESSION_INSTANCE_ID": "env-id",
            "SESSION_IDLE_TIMEOUT": "15m", "SESSION_RENEW_GRACE": "2s", "SESSION_INSECURE_COOKIES": "1",
            "SESSION_REDIS_URL": "redis://127.0.0.1:6390", "SESSION_SECRET": Self.secret,
        ]
        let fromEnvironment = try ResolvedOptions(try SessionServer.parse([]), environment: environment)
        #expect(fromEnvironment.host == "0.0.0.0" && fromEnvironment.port == 9001 && fromEnvironment.instanceID == "env-id")
        #expect(fromEnvironment.sessionConfiguration.expiry.idleTimeout == .seconds(900))
        #expect(fromEnvironment.sessionConfiguration.rotation.renewalGrace == .seconds(2))
        #expect(fromEnvironment.sessionsConfiguration.cookieName == "sid")
        #expect(fromEnvironment.redisURL == "redis://127.0.0.1:6390")

        let options = try ResolvedOptions(try SessionServer.parse(["--port", "7000", "--instance-id", "cli"]), environment: environment)
        #expect(options.port == 7000 && options.instanceID == "cli")
    }

    @Test func redisTLSFilesFromFlagsOrEnvironmentNeedARedissURL() throws {
        let environment = [
            "SESSION_SECRET": Self.secret, "SESSION_REDIS_URL": "rediss://redis.internal:6380",
            "SESSION_REDIS_TLS_CA_FILE": "/ca.pem", "SESSION_REDIS_TLS_CERT_FILE": "/c.pem", "SESSION_REDIS_TLS_KEY_FILE": "/c.key",
        ]
        let fromEnvironment = try ResolvedOptions(try SessionServer.parse([]), environment: environment)
        #expect(fromEnvironment.redisTLS?.certificateAuthorityFile == "/ca.pem")
        #expect(fromEnvironment.redisTLS?.certificateFile == "/c.pem" && fromEnvironment.redisTLS?.privateKeyFile == "/c.key")
        #expect(fromEnvironment.redisTLS?.insecureSkipVerification == false)
        let flags = try ResolvedOptions(try SessionServer.parse([
            "--redis", "rediss://h:1", "--redis-tls-ca-file", "/other.pem",
        ]), environment: ["SESSION_SECRET": Self.secret])
        #expect(flags.redisTLS?.certificateAuthorityFile == "/other.pem" && flags.redisTLS?.certificateFile == nil)
        #expect(throws: ValidationError.self, "TLS files with a plain redis:// URL") {
            try ResolvedOptions(try SessionServer.parse(["--redis", "redis://h:1", "--redis-tls-ca-file", "/ca.pem"]),
                                environment: ["SESSION_SECRET": Self.secret])
        }
        #expect(throws: ValidationError.self, "a certificate without its key") {
            try ResolvedOptions(try SessionServer.parse(["--redis", "rediss://h:1", "--redis-tls-cert-file", "/c.pem"]),
                                environment: ["SESSION_SECRET": Self.secret])
        }
    }

    @Test func redisConnectionsFromFlagOrEnvironment() throws {
        let environment = ["SESSION_SECRET": Self.secret, "SESSION_REDIS_URL": "redis://h:1", "SESSION_REDIS_CONNECTIONS": "32"]
        #expect(try ResolvedOptions(try SessionServer.parse([]), environment: environment).redisConnections == 32)
        #expect(try ResolvedOptions(try SessionServer.parse(["--redis-connections", "4"]), environment: environment).redisConnections == 4)
        #expect(try ResolvedOptions(try SessionServer.parse([]), environment: ["SESSION_DEMO_PASSWORD": "pw"]).redisConnections == nil)
        #expect(throws: ValidationError.self) {
            try ResolvedOptions(try SessionServer.parse(["--redis-connections", "0"]), environment: environment)
        }
    }

    @Test func sharedRedisNeedsALongEnoughSecretFromTheEnvironmentOrAFile() throws {
        let redis = ["--redis", "redis://h:1"]
        #expect(throws: (any Error).self) { try ResolvedOptions(try SessionServer.parse(redis), environment: [:]) }
        #expect(throws: (any Error).self) { try ResolvedOptions(try SessionServer.parse(redis), environment: ["SESSION_SECRET": "short"]) }
        #expect(throws: (any Error).self) { try ResolvedOptions(try SessionServer.parse(["--memory", "--redis", "redis://h:1"]), environment: [:]) }
        let refused = #expect(throws: ValidationError.self, "a secret in argv is visible to ps") {
            try ResolvedOptions(try SessionServer.parse(redis + ["--secret", Self.secret]), environment: [:])
        }
        #expect(refused?.message.contains(Self.secret) == false)
        _ = try ResolvedOptions(try SessionServer.parse(redis), environment: ["SESSION_SECRET": Self.secret])
        // SESSION_SECRET is one secret, taken literally, whatever it contains.
        for literal in ["7:" + Self.secret, Self.secret + ",x", "a:b," + Self.secret] {
            let options = try ResolvedOptions(try SessionServer.parse(redis), environment: ["SESSION_SECRET": literal])
            #expect(options.keyring.versions == [1])
        }

        let s2 = String(repeating: "t", count: 40)
        let rotated = try ResolvedOptions(try SessionServer.parse(redis), environment: ["SESSION_SECRETS": "2:\(s2),1:\(Self.secret)"])
        #expect(rotated.keyring.versions == [2, 1])
        for bad in ["2:\(s2),x:\(Self.secret)", "2:short", "2:\(s2),2:\(Self.secret)", "0:\(s2)", ""] {
            let error = #expect(throws: ValidationError.self, "\(bad.prefix(6))") {
                try ResolvedOptions(try SessionServer.parse(redis), environment: ["SESSION_SECRETS": bad, "SESSION_SECRET": bad.isEmpty ? "x" : ""])
            }
            #expect(error?.message.contains(s2) == false && error?.message.contains(Self.secret) == false, "never echo a secret")
        }
        #expect(throws: ValidationError.self) {
            try ResolvedOptions(try SessionServer.parse(redis), environment: ["SESSION_SECRET": Self.secret, "SESSION_ROUTING_KEY": "short"])
        }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)").path
        try Data("1:\(Self.secret),2:\(s2)\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try ResolvedOptions(try SessionServer.parse(redis + ["--secret-file", path]), environment: [:])
        #expect(fromFile.keyring.versions == [1, 2])
        #expect(throws: ValidationError.self) { try ResolvedOptions(try SessionServer.parse(redis + ["--secret-file", path + ".missing"]), environment: [:]) }
    }

    @Test func theftRevocationAndAnonymousIdleTimeout() throws {
        let password = ["SESSION_DEMO_PASSWORD": "pw"]
        let defaults = try ResolvedOptions(try SessionServer.parse([]), environment: password).sessionConfiguration
        #expect(!defaults.rotation.revokeOnSuspectedTheft && defaults.expiry.anonymousIdleTimeout == .seconds(15 * 60))
        let flags = try ResolvedOptions(try SessionServer.parse(["--revoke-on-theft", "--anonymous-idle-timeout", "2m"]), environment: password)
        #expect(flags.sessionConfiguration.rotation.revokeOnSuspectedTheft)
        #expect(flags.sessionConfiguration.expiry.anonymousIdleTimeout == .seconds(120))
        let environment = password.merging(["SESSION_REVOKE_ON_THEFT": "1", "SESSION_ANONYMOUS_IDLE_TIMEOUT": "90s"]) { $1 }
        let fromEnvironment = try ResolvedOptions(try SessionServer.parse([]), environment: environment).sessionConfiguration
        #expect(fromEnvironment.rotation.revokeOnSuspectedTheft && fromEnvironment.expiry.anonymousIdleTimeout == .seconds(90))
        #expect(throws: (any Error).self) {
            try ResolvedOptions(try SessionServer.parse(["--idle-timeout", "1440h", "--absolute-timeout", "2160h"]), environment: password)
        }
    }

    @Test func durableRevocation() throws {
        let password = ["SESSION_DEMO_PASSWORD": "pw"]
        #expect(try !ResolvedOptions(try SessionServer.parse([]), environment: password).durableRevocation)
        #expect(try ResolvedOptions(try SessionServer.parse(["--durable-revocation"]), environment: password).durableRevocation)
        let environment = password.merging(["SESSION_DURABLE_REVOCATION": "1"]) { $1 }
        #expect(try ResolvedOptions(try SessionServer.parse([]), environment: environment).durableRevocation)
        // The in-memory store has no replica to wait for.
        #expect(throws: ValidationError.self) {
            try ResolvedOptions(try SessionServer.parse(["--durable-revocation", "--memory"]), environment: password)
        }
    }

    @Test func eventLoopThreads() throws {
        let password = ["SESSION_DEMO_PASSWORD": "pw"]
        #expect(try ResolvedOptions(try SessionServer.parse([]), environment: password).eventLoopThreads == nil)
        #expect(try ResolvedOptions(try SessionServer.parse(["--event-loop-threads", "1"]), environment: password).eventLoopThreads == 1)
        let environment = password.merging(["SESSION_EVENT_LOOP_THREADS": "3"]) { $1 }
        #expect(try ResolvedOptions(try SessionServer.parse([]), environment: environment).eventLoopThreads == 3)
        for bad in ["0", "-1", "999"] {
            #expect(throws: (any Error).self) { try ResolvedOptions(try SessionServer.parse(["--event-loop-threads", bad]), environment: password) }
        }
        #expect(throws: (any Error).self) {
            try ResolvedOptions(try SessionServer.parse([]), environment: password.merging(["SESSION_EVENT_LOOP_THREADS": "many"]) { $1 })
        }
    }

    @Test func usersFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString).json").path
        try Data(#"{"carol":"c-pass"}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = try ResolvedOptions(try SessionServer.parse(["--users", path]), environment: [:])
        #expect(options.users.names == ["carol"])
        #expect(options.users.verify(user: "carol", password: "c-pass"))
    }

    @Test func tokenLifetimesFromFlagsOrEnvironment() throws {
        let defaults = try ResolvedOptions(try SessionServer.parse([]), environment: ["SESSION_DEMO_PASSWORD": "pw"])
        #expect(defaults.tokens.accessTokenLifetime == .seconds(300))
        #expect(defaults.tokens.families.absoluteLifetime == .seconds(720 * 3600))
        #expect(defaults.tokens.families.grace == .seconds(2))
        #expect(defaults.tokens.refreshCookie == nil)
        #expect(defaults.tokens.codec.keys.signingKey.algorithm == .eddsa)

        let environment = [
            "SESSION_DEMO_PASSWORD": "pw", "SESSION_ACCESS_TOKEN_TTL": "2m", "SESSION_REFRESH_TOKEN_TTL": "24h",
            "SESSION_REFRESH_GRACE": "500ms", "SESSION_REFRESH_TOKEN_COOKIE": "1",
        ]
        let fromEnvironment = try ResolvedOptions(try SessionServer.parse([]), environment: environment)
        #expect(fromEnvironment.tokens.accessTokenLifetime == .seconds(120))
        #expect(fromEnvironment.tokens.families.absoluteLifetime == .seconds(24 * 3600))
        #expect(fromEnvironment.tokens.families.grace == .milliseconds(500))
        #expect(fromEnvironment.tokens.refreshCookie?.name == "__Host-rt")

        let flags = try ResolvedOptions(try SessionServer.parse([
            "--access-token-ttl", "30s", "--refresh-token-ttl", "1h", "--refresh-grace", "1s",
        ]), environment: environment)
        #expect(flags.tokens.accessTokenLifetime == .seconds(30) && flags.tokens.families.grace == .seconds(1))
        #expect(flags.tokens.families.absoluteLifetime == .seconds(3600))
        #expect(throws: ValidationError.self, "a grace beyond a minute") {
            try ResolvedOptions(try SessionServer.parse(["--refresh-grace", "5m"]), environment: ["SESSION_DEMO_PASSWORD": "pw"])
        }
        // A PEM file: the first key signs (ES256 here), a second one only verifies.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("jwt-\(UUID().uuidString).pem").path
        // (`openssl ecparam -genkey` writes an EC PARAMETERS block first: skipped, as is a public key.)
        let parameters = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
        let signing = P256.Signing.PrivateKey()
        try (parameters + signing.pemRepresentation + "\n" + signing.publicKey.pemRepresentation + "\n" + P256.Signing.PrivateKey().pemRepresentation)
            .write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let pem = try ResolvedOptions(try SessionServer.parse([]), environment: ["SESSION_DEMO_PASSWORD": "pw", "SESSION_JWT_SIGNING_KEY_FILE": file])
        #expect(pem.tokens.codec.keys.signingKey.algorithm == .es256)
        let jwks = try JSONSerialization.jsonObject(with: Data(pem.tokens.codec.keys.jwks())) as? [String: Any]
        #expect((jwks?["keys"] as? [Any])?.count == 2)
        #expect(throws: ValidationError.self, "an unreadable key file") {
            try ResolvedOptions(try SessionServer.parse(["--jwt-signing-key-file", "/nonexistent.pem"]), environment: ["SESSION_DEMO_PASSWORD": "pw"])
        }
    }
}
