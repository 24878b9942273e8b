// RedisServerProcess: starts, kills and restarts real redis-server processes on free loopback ports.

import Foundation
import Glibc

/// A `redis-server` child process on a free loopback port (and a Unix socket), for tests and the bench's
/// embedded default, or a `redis-sentinel` (``startSentinel(monitoringPort:primaryName:quorum:downAfter:failoverTimeout:)``).
/// It is killed when the value is deinitialised.
///
/// ```swift
/// let server = try await RedisServerProcess.start()
/// let configuration = try RedisConnectionConfiguration(url: server.url)
/// …
/// await server.stop()   // or let it go: deinit sends SIGKILL
/// ```
public final class RedisServerProcess: Sendable {
    /// Why a server could not be started.
    public struct StartError: Error, CustomStringConvertible {
        /// What went wrong and what to do.
        public let description: String

        /// Creates an error with its explanation.
        public init(description: String) { self.description = description }
    }

    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// The scratch directory (working dir, log, socket).
    public let directory: String
    /// Extra `redis-server` arguments given at start (the TLS options included, when started with TLS).
    public let extraArguments: [String]
    /// The TLS port, when started with ``start(extraArguments:tls:requireClientCertificates:)`` and certificates.
    public let tlsPort: Int?
    /// Whether this is a `redis-sentinel` (``startSentinel(monitoringPort:primaryName:quorum:downAfter:failoverTimeout:)``).
    public let isSentinel: Bool
    private let process: ProcessBox

    /// `redis://127.0.0.1:PORT`.
    public var url: String { "redis://127.0.0.1:\(port)" }
    /// The Unix socket path.
    public var socketPath: String { directory + "/redis.sock" }
    /// The server's log file.
    public var logPath: String { directory + "/redis.log" }
    /// The process ID of the running server (it changes with ``restart()``).
    public var processIdentifier: Int32 { process.processIdentifier }

    private init(port: Int, tlsPort: Int?, directory: String, extraArguments: [String], isSentinel: Bool = false, process: ProcessBox) {
        self.port = port
        self.tlsPort = tlsPort
        self.isSentinel = isSentinel
        self.directory = directory
        self.extraArguments = extraArguments
        self.process = process
    }

    /// `rediss://localhost:<tlsPort>` (the certificate names `localhost`), when started with TLS.
    public var tlsURL: String? { tlsPort.map { "rediss://localhost:\($0)" } }

    deinit {
        process.kill(signal: SIGKILL)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts a server and waits until it accepts connections.
    /// - Parameters:
    ///   - extraArguments: more `redis-server` options, such as `["--requirepass", "secret"]`.
    ///   - tls: certificates for an extra TLS port (``tlsPort``); `nil` for plain TCP only.
    ///   - requireClientCertificates: the TLS port refuses clients without a certificate signed by the CA.
    /// - Throws: ``StartError`` when `redis-server` is not installed or does not come up within 10 seconds.
    public static func start(
        extraArguments: [String] = [],
        tls: TLSCertificates? = nil,
        requireClientCertificates: Bool = false
    ) async throws -> RedisServerProcess {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redis-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = try freeLoopbackPort()
            var arguments = extraArguments
            var tlsPort: Int?
            if let tls {
                var candidate = try freeLoopbackPort()
                while candidate == port { candidate = try freeLoopbackPort() }
                tlsPort = candidate
                arguments += tls.serverArguments(tlsPort: candidate, requireClientCertificates: requireClientCertificates)
            }
            do {
                let box = try await launch(port: port, directory: directory, extraArguments: arguments)
                if let tlsPort { try await waitForPort(tlsPort) }
                return RedisServerProcess(port: port, tlsPort: tlsPort, directory: directory, extraArguments: arguments, process: box)
            } catch {
                lastError = error  // most likely the port was taken meanwhile: try another
            }
        }
        throw lastError ?? StartError(description: "redis-server did not start")
    }

    /// Sends SIGKILL (no shutdown, no save), as a crash would, and waits until the process has exited.
    public func kill() async {
        process.kill(signal: SIGKILL)
        _ = await process.waitUntilExit(timeout: .seconds(10))
    }

    /// Pauses the process (SIGSTOP): connections stay open but nothing is answered.
    public func freeze() { process.kill(signal: SIGSTOP) }

    /// Resumes a frozen process (SIGCONT).
    public func thaw() { process.kill(signal: SIGCONT) }

    /// Stops the server (SIGTERM, then SIGKILL if it is still running after 3 seconds) and waits for it to exit.
    public func stop() async {
        process.kill(signal: SIGCONT)
        process.kill(signal: SIGTERM)
        if await !process.waitUntilExit(timeout: .seconds(3)) {
            process.kill(signal: SIGKILL)
            _ = await process.waitUntilExit(timeout: .seconds(10))
        }
    }

    /// Starts the server again on the same port after ``kill()`` or ``stop()``.
    public func restart() async throws {
        let box = try await Self.launch(port: port, directory: directory, extraArguments: extraArguments, sentinel: isSentinel)
        process.replace(with: box)
    }

    /// The full path of `redis-server`, or `nil` when it is not installed.
    public static func executablePath(named name: String = "redis-server") -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/bin"]
        for directory in directories {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Starts a `redis-sentinel` on a free loopback port that monitors the primary on `monitoringPort` of 127.0.0.1,
    /// and waits until it accepts connections (it finds the replicas and the other sentinels by itself, within
    /// seconds).
    /// - Parameters:
    ///   - monitoringPort: the primary's port.
    ///   - primaryName: the name clients ask for (`redis-sentinel://…/<name>`).
    ///   - quorum: how many sentinels must agree that the primary is down.
    ///   - downAfter: `down-after-milliseconds`: how long the primary may be silent before it counts as down.
    ///   - failoverTimeout: `failover-timeout`.
    /// - Throws: ``StartError`` when it does not come up within 10 seconds.
    public static func startSentinel(
        monitoringPort: Int, primaryName: String = "mymaster", quorum: Int = 2,
        downAfter: Duration = .seconds(1), failoverTimeout: Duration = .seconds(5)
    ) async throws -> RedisServerProcess {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redis-sentinel-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Sentinel rewrites its configuration file as it learns the deployment: it must be a file of its own.
        let configuration = """
            sentinel monitor \(primaryName) 127.0.0.1 \(monitoringPort) \(quorum)
            sentinel down-after-milliseconds \(primaryName) \(downAfter.wholeMilliseconds)
            sentinel failover-timeout \(primaryName) \(failoverTimeout.wholeMilliseconds)
            sentinel parallel-syncs \(primaryName) 1

            """
        try configuration.write(toFile: directory + "/sentinel.conf", atomically: true, encoding: .utf8)
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = try freeLoopbackPort()
            do {
                let box = try await launch(port: port, directory: directory, extraArguments: [], sentinel: true)
                return RedisServerProcess(port: port, tlsPort: nil, directory: directory, extraArguments: [], isSentinel: true, process: box)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? StartError(description: "redis-sentinel did not start")
    }

    private static func launch(port: Int, directory: String, extraArguments: [String], sentinel: Bool = false) async throws -> ProcessBox {
        guard let executable = executablePath() else {
            throw StartError(description: "redis-server is not installed: run `apt-get install -y redis-server` "
                + "(or pass --redis URL to use a server you run)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        if sentinel {
            process.arguments = [
                directory + "/sentinel.conf", "--sentinel", "--port", "\(port)", "--bind", "127.0.0.1",
                "--dir", directory, "--logfile", directory + "/redis.log", "--daemonize", "no",
            ] + extraArguments
        } else {
            process.arguments = [
                "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory, "--logfile", directory + "/redis.log",
                "--unixsocket", directory + "/redis.sock", "--unixsocketperm", "700", "--daemonize", "no",
                "--enable-debug-command", "local",
            ] + extraArguments
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try ChildProcesses.run(process)
        let box = ProcessBox(process)
        for _ in 0..<200 {
            // Redis binds its TCP port a moment before it creates the Unix socket: wait for both (a sentinel has none).
            if canConnect(port: port) && (sentinel || FileManager.default.fileExists(atPath: directory + "/redis.sock")) { return box }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        box.kill(signal: SIGKILL)
        let log = (try? String(contentsOfFile: directory + "/redis.log", encoding: .utf8)) ?? ""
        throw StartError(description: "redis-server on port \(port) did not accept connections: \(log.suffix(400))")
    }

    private static func waitForPort(_ port: Int) async throws {
        for _ in 0..<200 {
            if canConnect(port: port) { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw StartError(description: "redis-server's TLS port \(port) did not accept connections")
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw StartError(description: "cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:port.
    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// The current child process, swapped on restart.
private final class ProcessBox: Sendable {
    // `Process` is not Sendable; every access goes through this lock.
    private let lock = NSLock()
    nonisolated(unsafe) private var process: Process

    init(_ process: Process) { self.process = process }

    func kill(signal: Int32) {
        lock.withLock {
            if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
        }
    }

    /// Waits for the current process to be reaped; `false` when it still runs after `timeout`.
    func waitUntilExit(timeout: Duration) async -> Bool {
        await ChildProcesses.waitForExit(lock.withLock { process }, timeout: timeout)
    }

    /// The current process's ID.
    var processIdentifier: Int32 { lock.withLock { process.processIdentifier } }

    func replace(with other: ProcessBox) {
        let next = other.lock.withLock { other.process }
        lock.withLock { process = next }
    }
}
