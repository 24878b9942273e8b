// StartedProcesses: what a topology has started so far, so that start-up failures and teardown stop all of it.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import EmbeddedRedis
import Synchronization

/// The processes, Redis server and HTTP client of one topology, recorded as they are started, and the
/// ``Watchdog`` that kills the processes should this test process die before it can stop them.
final class StartedProcesses: Sendable {
    private struct State {
        var children: [ChildProcess] = []
        var redis: RedisServerProcess?
        var client: HTTPClient?
        var eventLoops: MultiThreadedEventLoopGroup?
        var stopped = false
    }

    /// The scratch directory: logs, certificate.
    let directory: String
    private let watchdog: Watchdog
    private let state = Mutex(State())

    init(directory: String) throws {
        self.directory = directory
        self.watchdog = try Watchdog.start()
    }

    /// Records a child; `watched` ones are killed by the watchdog if this process dies.
    func add(_ child: ChildProcess, watched: Bool = true) {
        state.withLock { $0.children.append(child) }
        if watched { watchdog.watch(pid: child.pid, name: URL(fileURLWithPath: child.executable).lastPathComponent) }
    }

    /// Records the Redis server and has the watchdog watch its current process.
    func setRedis(_ redis: RedisServerProcess) {
        state.withLock { $0.redis = redis }
        watchdog.watch(pid: redis.processIdentifier, name: "redis-server")
    }

    /// Kills Redis (SIGKILL, as a crash would) and waits until the process is gone.
    func killRedis(_ redis: RedisServerProcess) async {
        let pid = redis.processIdentifier
        await redis.kill()
        watchdog.forget(pid: pid)
    }

    /// Restarts Redis on its port and watches the new process.
    func restartRedis(_ redis: RedisServerProcess) async throws {
        try await redis.restart()
        watchdog.watch(pid: redis.processIdentifier, name: "redis-server")
    }

    /// Makes the HTTP client: its own event loop thread, with SIGPIPE blocked there. NIO relies on the process
    /// ignoring SIGPIPE; blocked on the thread that writes, a write to a closed connection fails with EPIPE
    /// whatever the disposition (the hostile-cookie test makes HAProxy and the servers close connections).
    func makeClient(configuration: HTTPClient.Configuration) async throws -> HTTPClient {
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        state.withLock { $0.eventLoops = eventLoops }
        for loop in eventLoops.makeIterator() {
            try await loop.submit {
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &set, nil)
            }.get()
        }
        let client = HTTPClient(eventLoopGroupProvider: .shared(eventLoops), configuration: configuration)
        state.withLock { $0.client = client }
        return client
    }

    /// Stops everything once: the watchdog (so it never kills a PID reused after this), the HTTP client, then
    /// HAProxy and the instances together (SIGTERM, SIGKILL after 2 s), then Redis (SIGKILL at once: its data is
    /// thrown away anyway), and removes the scratch directory.
    func stopAll() async {
        let (children, redis, client, eventLoops) = state.withLock { state in
            let stopped = state.stopped
            state.stopped = true
            return stopped ? ([], nil, nil, nil) : (state.children, state.redis, state.client, state.eventLoops)
        }
        await watchdog.dismiss()
        try? await client?.shutdown()
        try? await eventLoops?.shutdownGracefully()
        await withTaskGroup(of: Void.self) { group in
            for child in children.reversed() { group.addTask { await child.stop() } }
        }
        if let redis { await redis.kill() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The last lines of every log (instances, HAProxy, Redis).
    func logTails(_ count: Int = 6) -> String {
        let (children, redis) = state.withLock { ($0.children, $0.redis) }
        // openssl's progress dots say nothing once it has succeeded.
        var parts = children.filter { $0.isRunning || $0.exitStatus != 0 || $0.name != "openssl" }.map {
            "--- \($0.name)\($0.isRunning ? "" : " (exited \($0.exitStatus ?? -1))"):\n\($0.logTail(count))"
        }
        if let redis { parts.append("--- redis-server:\n" + ChildProcess.tail(of: redis.logPath, count: count)) }
        return parts.joined(separator: "\n")
    }

    /// Fails at once when a process the topology needs has exited.
    func checkAlive() throws {
        let dead = state.withLock { $0.children }.filter { $0.name != "openssl" && !$0.isRunning }
        if let first = dead.first {
            throw TopologyError("\(first.name) exited with status \(first.exitStatus ?? -1):\n\(first.logTail(12))")
        }
    }

    /// Waits until every instance answers `GET /healthz` with 200 on its own port.
    func waitForInstances(ports: [Int], client: HTTPClient) async throws {
        for port in ports {
            try await eventually("the instance on port \(port) answers /healthz with 200", timeout: .seconds(30), logs: { self.logTails() }) {
                try self.checkAlive()
                let reply = try? await fetch(client, "http://127.0.0.1:\(port)/healthz", timeout: .seconds(2))
                return reply?.status == 200 ? true : nil
            }
        }
    }

    /// Waits until all three instances have answered `GET /ping` through HAProxy (it marks a server up after
    /// two successful health checks).
    func waitForAllInstances(through url: String, client: HTTPClient) async throws {
        var seen: Set<String> = []
        try await eventually("all three instances answer through HAProxy", timeout: .seconds(30), interval: .milliseconds(50), logs: {
            "seen: \(seen.sorted())\n" + self.logTails()
        }) {
            try self.checkAlive()
            if let reply = try? await fetch(client, url + "/ping", timeout: .seconds(2)), reply.status == 200, let instance = reply.instance {
                seen.insert(instance)
            }
            return seen.count == Topology.instanceIDs.count ? true : nil
        }
    }
}

/// Polls `condition` every `interval` until it returns a value, for at most `timeout`.
/// - Parameters:
///   - what: the awaited state, for the failure message.
///   - logs: more context for the failure message (the processes' last log lines).
///   - condition: `nil` means "not yet"; a ``TopologyError`` it throws ends the wait at once, other errors are
///     remembered and retried.
/// - Throws: ``TopologyError`` naming `what`, the last error and the logs when the time is up.
@discardableResult
func eventually<Value>(
    _ what: String, timeout: Duration, interval: Duration = .milliseconds(100), logs: () -> String = { "" },
    _ condition: () async throws -> Value?
) async throws -> Value {
    let start = ContinuousClock.now
    var lastError: (any Error)?
    while true {
        do {
            if let value = try await condition() { return value }
        } catch let error as TopologyError {
            throw error
        } catch {
            lastError = error
        }
        if ContinuousClock.now - start >= timeout { break }
        try await Task.sleep(for: interval)
    }
    let last = lastError.map { " (last error: \($0))" } ?? ""
    throw TopologyError("timed out after \(timeout) waiting until \(what)\(last)\n\(logs())")
}
