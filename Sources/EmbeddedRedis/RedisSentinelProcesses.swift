// RedisSentinelProcesses: a primary, its replicas and the sentinels watching them, as processes on loopback.

import Foundation

/// A Sentinel deployment on free loopback ports: one primary, its replicas, and sentinels monitoring it.
///
/// ```swift
/// let deployment = try await RedisSentinelProcesses.start()   // 1 primary, 1 replica, 3 sentinels (quorum 2)
/// let url = deployment.url                                  // redis-sentinel://127.0.0.1:…,…/mymaster
/// await deployment.dataNodes[0].kill()                      // the sentinels promote the replica
/// ```
public final class RedisSentinelProcesses: Sendable {
    /// The name the sentinels monitor the primary under.
    public let primaryName: String
    /// The data nodes: the first primary, then its replicas (a failover changes which one is primary).
    public let dataNodes: [RedisServerProcess]
    /// The sentinels.
    public let sentinels: [RedisServerProcess]

    /// `redis-sentinel://127.0.0.1:PORT,…/<primaryName>`.
    public var url: String {
        "redis-sentinel://" + sentinels.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") + "/" + primaryName
    }

    private init(primaryName: String, dataNodes: [RedisServerProcess], sentinels: [RedisServerProcess]) {
        self.primaryName = primaryName
        self.dataNodes = dataNodes
        self.sentinels = sentinels
    }

    /// Starts the primary, the replicas (in sync before it returns) and the sentinels, and waits until every
    /// sentinel knows every replica and every other sentinel.
    /// - Parameters:
    ///   - replicas: replicas of the primary.
    ///   - sentinels: how many sentinels watch it.
    ///   - quorum: how many sentinels must agree that the primary is down.
    ///   - downAfter: how long the primary may be silent before it counts as down.
    ///   - failoverTimeout: the sentinels' `failover-timeout`; a failover that fails (a split vote) is tried again
    ///     after twice this.
    ///   - primaryName: the name the sentinels monitor it under.
    ///   - extraArguments: more `redis-server` options for the data nodes (`--appendonly yes`, …).
    /// - Throws: ``RedisServerProcess/StartError`` when a process fails to start or the deployment does not settle
    ///   within 30 seconds.
    public static func start(
        replicas: Int = 1, sentinels: Int = 3, quorum: Int = 2, downAfter: Duration = .seconds(1),
        failoverTimeout: Duration = .seconds(5), primaryName: String = "mymaster", extraArguments: [String] = []
    ) async throws -> RedisSentinelProcesses {
        let primary = try await RedisServerProcess.start(extraArguments: extraArguments)
        var dataNodes = [primary]
        for _ in 0..<replicas {
            dataNodes.append(try await RedisServerProcess.start(
                extraArguments: extraArguments + ["--replicaof", "127.0.0.1", "\(primary.port)"]))
        }
        for replica in dataNodes.dropFirst() {
            try await RedisCommandLine.wait(timeout: .seconds(30), "replica \(replica.port) did not sync with its primary") {
                let info = try? await RedisCommandLine.run(["-p", "\(replica.port)", "INFO", "replication"])
                return info?.contains("master_link_status:up") == true
            }
        }
        var watchers: [RedisServerProcess] = []
        for _ in 0..<sentinels {
            watchers.append(try await RedisServerProcess.startSentinel(
                monitoringPort: primary.port, primaryName: primaryName, quorum: quorum, downAfter: downAfter,
                failoverTimeout: failoverTimeout))
        }
        let deployment = RedisSentinelProcesses(primaryName: primaryName, dataNodes: dataNodes, sentinels: watchers)
        try await deployment.waitUntilSettled(replicas: replicas)
        return deployment
    }

    /// Waits until every running sentinel sees `replicas` replicas and every other sentinel.
    public func waitUntilSettled(replicas: Int, timeout: Duration = .seconds(30)) async throws {
        for sentinel in sentinels {
            try await RedisCommandLine.wait(timeout: timeout, "sentinel \(sentinel.port) did not discover the deployment") {
                guard let fields = try? await self.primaryState(askingPort: sentinel.port) else { return false }
                return fields["num-slaves"] == "\(replicas)" && fields["num-other-sentinels"] == "\(self.sentinels.count - 1)"
            }
        }
    }

    /// The port of the current primary, as the sentinel on `port` (the first by default) names it.
    public func primaryPort(askingPort port: Int? = nil) async throws -> Int? {
        let text = try await RedisCommandLine.run(
            ["-p", "\(port ?? sentinels[0].port)", "SENTINEL", "get-master-addr-by-name", primaryName])
        let lines = text.split(separator: "\n")
        return lines.count == 2 ? Int(lines[1]) : nil
    }

    /// `SENTINEL master <name>` as field → value.
    private func primaryState(askingPort port: Int) async throws -> [String: String] {
        let lines = try await RedisCommandLine.run(["-p", "\(port)", "SENTINEL", "master", primaryName])
            .split(separator: "\n").map(String.init)
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: lines.count - 1, by: 2) { fields[lines[index]] = lines[index + 1] }
        return fields
    }

    /// Stops the sentinels, then the data nodes.
    public func stop() async {
        for sentinel in sentinels { await sentinel.stop() }
        for node in dataNodes { await node.stop() }
    }
}
