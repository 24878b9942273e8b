// Topology: starts redis-server, three session-servers and HAProxy (TLS) on loopback, and stops all of them.

import AsyncHTTPClient
import Foundation
import NIOSSL
import EmbeddedRedis

/// Server settings that differ between suites.
struct TopologyOptions: Sendable {
    /// `--idle-timeout` of every instance (`nil`: the server's default, 30 minutes).
    var idleTimeout: String?
    /// `--absolute-timeout` of every instance (`nil`: the server's default, 12 hours).
    var absoluteTimeout: String?
    /// `--renew-grace` of every instance.
    var renewGrace = "1s"
    /// `--refresh-grace` of every instance (`nil`: the server's default, 2 s).
    var refreshGrace: String?

    /// The defaults (short renewal grace, long expiry).
    init(idleTimeout: String? = nil, absoluteTimeout: String? = nil) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
    }
}

/// The demo topology on loopback, as `scripts/topology.sh` starts it: redis-server with AOF, three
/// `session-server` instances sharing a random secret, and HAProxy with `deploy/haproxy.cfg` in front (TLS with a
/// self-signed certificate, round-robin, health checks). Tests reach it only over HTTP(S), like any client.
///
/// ```swift
/// let topology = try await Topology.start(TopologyOptions())
/// let reply = try await topology.send(.GET, "/ping")
/// await topology.stop()
/// ```
final class Topology: Sendable {
    /// The password of the demo users alice and bob (`SESSION_DEMO_PASSWORD`).
    static let password = "end-to-end correct horse battery staple"
    /// The `--instance-id` of the three instances.
    static let instanceIDs = ["app1", "app2", "app3"]
    /// The repository root (for `deploy/haproxy.cfg`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The topology of the running suite (set by ``TopologyTrait``).
    @TaskLocal static var current: Topology?

    /// `https://127.0.0.1:<port>`: HAProxy.
    let url: String
    /// The instances' plain-HTTP ports, in the order of ``instanceIDs``.
    let instancePorts: [Int]
    /// The settings the instances were started with.
    let options: TopologyOptions
    /// The shared Redis (kill and restart it to simulate an outage).
    let redis: RedisServerProcess
    /// One client for every virtual user (certificate verification off: the certificate is self-signed).
    let client: HTTPClient
    /// Everything started, for teardown and log tails.
    let processes: StartedProcesses

    private init(url: String, instancePorts: [Int], options: TopologyOptions, redis: RedisServerProcess, client: HTTPClient, processes: StartedProcesses) {
        self.url = url
        self.instancePorts = instancePorts
        self.options = options
        self.redis = redis
        self.client = client
        self.processes = processes
    }

    /// The running suite's topology.
    /// - Throws: when the suite does not have the ``TopologyTrait``.
    static func required() throws -> Topology {
        guard let current else { throw TopologyError("no topology: add `.topology()` to the suite's traits") }
        return current
    }

    /// Starts everything and waits until HAProxy routes to all three instances (every wait is bounded).
    /// - Throws: ``TopologyError`` with the last log lines of the processes; whatever was started is stopped.
    static func start(_ options: TopologyOptions) async throws -> Topology {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let processes = try StartedProcesses(directory: directory)
        do {
            let certificate = try startCertificate(in: directory, processes: processes)
            // AOF with fsync on every write: acknowledged sessions survive a SIGKILL of Redis.
            let redis = try await RedisServerProcess.start(extraArguments: ["--appendonly", "yes", "--appendfsync", "always"])
            processes.setRedis(redis)
            let client = try await processes.makeClient(configuration: clientConfiguration())

            let binary = try sessionServerBinary()
            let secret = randomHex(bytes: 32)
            var ports: [Int] = []
            for instanceID in instanceIDs {
                let port = try RedisServerProcess.freeLoopbackPort()
                ports.append(port)
                processes.add(try ChildProcess.launch(
                    name: instanceID, executable: binary,
                    arguments: serverArguments(instanceID: instanceID, port: port, redisURL: redis.url, options: options),
                    // The secret goes in the environment: on the command line, `ps` would show it.
                    environment: childEnvironment(["SESSION_DEMO_PASSWORD": password, "SESSION_SECRET": secret]),
                    logDirectory: directory
                ))
            }
            try await processes.waitForInstances(ports: ports, client: client)
            let pem = try await finishCertificate(certificate, in: directory, processes: processes)

            let haproxyPort = try RedisServerProcess.freeLoopbackPort()
            guard let haproxy = RedisServerProcess.executablePath(named: "haproxy") else {
                throw TopologyError("haproxy is not installed: run `bash scripts/ensure-packages.sh`")
            }
            var variables = ["HTTPS_BIND": "127.0.0.1:\(haproxyPort)", "CERT_FILE": pem]
            for (index, port) in ports.enumerated() { variables["SERVER\(index + 1)"] = "127.0.0.1:\(port)" }
            processes.add(try ChildProcess.launch(
                name: "haproxy", executable: haproxy, arguments: ["-db", "-f", "deploy/haproxy.cfg"],
                environment: childEnvironment(variables), workingDirectory: repositoryRoot, logDirectory: directory
            ))
            let url = "https://127.0.0.1:\(haproxyPort)"
            try await processes.waitForAllInstances(through: url, client: client)
            return Topology(url: url, instancePorts: ports, options: options, redis: redis, client: client, processes: processes)
        } catch {
            await processes.stopAll()
            throw error
        }
    }

    /// Stops HAProxy, the instances and Redis (SIGTERM, then SIGKILL) and removes the scratch directory.
    func stop() async {
        await processes.stopAll()
    }

    /// The last log lines of every process, for failure messages.
    func logTails() -> String { processes.logTails() }

    /// The `session-server` arguments of one instance.
    static func serverArguments(instanceID: String, port: Int, redisURL: String, options: TopologyOptions) -> [String] {
        var arguments = [
            "--host", "127.0.0.1", "--port", "\(port)", "--redis", redisURL,
            "--instance-id", instanceID, "--renew-grace", options.renewGrace,
            // HAProxy connects from 127.0.0.1: only its X-Forwarded-For names the client.
            "--trusted-proxy", "127.0.0.1/32",
        ]
        if let idle = options.idleTimeout { arguments += ["--idle-timeout", idle] }
        if let absolute = options.absoluteTimeout { arguments += ["--absolute-timeout", absolute] }
        if let grace = options.refreshGrace { arguments += ["--refresh-grace", grace] }
        return arguments
    }

    /// This process's environment without any `SESSION_*` setting (they would override the arguments), plus `extra`.
    static func childEnvironment(_ extra: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SESSION_") }.merging(extra) { $1 }
    }

    /// The `session-server` executable: `$SESSION_SERVER_BINARY`, else next to the test bundle, else
    /// `.build/debug/session-server`.
    static func sessionServerBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SESSION_SERVER_BINARY"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw TopologyError("SESSION_SERVER_BINARY=\(path) is not an executable file")
            }
            return path
        }
        return try builtExecutable(named: "session-server")
    }

    /// A product of this package: next to the test bundle, else in `.build/debug`.
    static func builtExecutable(named name: String) throws -> String {
        var candidates: [String] = []
        if let bundle = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent(name).path)
        }
        candidates.append(repositoryRoot + "/.build/debug/" + name)
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TopologyError("\(name) is not built (looked at \(candidates)): run `swift build --build-tests`")
        }
        return found
    }

    /// HTTP client settings: accept the self-signed certificate, follow no redirects, never wait long.
    static func clientConfiguration() -> HTTPClient.Configuration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(2), read: .seconds(10))
        )
    }

    /// Kills Redis with SIGKILL, as a crash would.
    func killRedis() async { await processes.killRedis(redis) }

    /// Starts Redis again on the same port (with the same data directory, so the AOF is replayed).
    func restartRedis() async throws { try await processes.restartRedis(redis) }

    /// `bytes` random bytes as lowercase hex.
    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Starts `openssl req` making a self-signed certificate for 127.0.0.1 (it runs while the servers start).
    private static func startCertificate(in directory: String, processes: StartedProcesses) throws -> ChildProcess {
        guard let openssl = RedisServerProcess.executablePath(named: "openssl") else {
            throw TopologyError("openssl is not installed: run `bash scripts/ensure-packages.sh`")
        }
        let child = try ChildProcess.launch(
            name: "openssl", executable: openssl,
            arguments: [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
            ],
            logDirectory: directory
        )
        processes.add(child, watched: false)  // it ends by itself
        return child
    }

    /// Waits for `openssl` and writes certificate and key into one PEM for HAProxy; returns its path.
    private static func finishCertificate(_ openssl: ChildProcess, in directory: String, processes: StartedProcesses) async throws -> String {
        guard await openssl.waitForExit(timeout: .seconds(30)) else {
            throw TopologyError("openssl did not finish within 30 s:\n\(openssl.logTail())")
        }
        guard openssl.exitStatus == 0,
            let certificate = FileManager.default.contents(atPath: directory + "/cert.pem"),
            let key = FileManager.default.contents(atPath: directory + "/key.pem")
        else {
            throw TopologyError("openssl failed (status \(openssl.exitStatus ?? -1)):\n\(openssl.logTail())")
        }
        let pem = directory + "/haproxy.pem"
        guard FileManager.default.createFile(atPath: pem, contents: certificate + key, attributes: [.posixPermissions: 0o600]) else {
            throw TopologyError("cannot write \(pem)")
        }
        return pem
    }
}
