// RedisClusterProcesses: a real Redis Cluster (primaries with replicas) of redis-server processes on loopback.

import Foundation

/// A Redis Cluster on free loopback ports, built with `redis-cli --cluster create`: for tests and the bench.
///
/// ```swift
/// let cluster = try await RedisClusterProcesses.start()      // 3 primaries, 1 replica each
/// let deployment = try RedisURL.parseDeployment(cluster.url)  // redis-cluster://127.0.0.1:…,…
/// …
/// await cluster.stop()   // or let it go: each node is killed when released
/// ```
public final class RedisClusterProcesses: Sendable {
    /// Every node, in the order given to `redis-cli --cluster create` (which makes the first ones primaries).
    public let nodes: [RedisServerProcess]
    /// How many of the nodes are primaries (when all are up).
    public let primaryCount: Int

    /// `redis-cluster://127.0.0.1:PORT,…` naming every node as a seed.
    public var url: String { "redis-cluster://" + nodes.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") }

    private init(nodes: [RedisServerProcess], primaryCount: Int) {
        self.nodes = nodes
        self.primaryCount = primaryCount
    }

    /// Starts the nodes, makes them a cluster and waits until every node reports `cluster_state:ok` and every replica
    /// is in sync with its primary.
    /// - Parameters:
    ///   - primaries: how many primaries share the 16,384 slots (at least 3, as `redis-cli` requires).
    ///   - replicasPerPrimary: replicas of each primary.
    ///   - nodeTimeout: `cluster-node-timeout`: how long a node may be unreachable before a failover starts.
    ///   - extraArguments: more `redis-server` options for every node (`--appendonly yes`, …).
    /// - Throws: ``RedisServerProcess/StartError`` when a node or `redis-cli` fails, or the cluster does not settle
    ///   within 60 seconds.
    public static func start(
        primaries: Int = 3, replicasPerPrimary: Int = 1, nodeTimeout: Duration = .seconds(1), extraArguments: [String] = []
    ) async throws -> RedisClusterProcesses {
        precondition(primaries >= 3 && replicasPerPrimary >= 0)
        let arguments = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                         "--cluster-node-timeout", "\(nodeTimeout.wholeMilliseconds)"] + extraArguments
        var nodes: [RedisServerProcess] = []
        for _ in 0..<primaries * (1 + replicasPerPrimary) {
            // The bus port of its own: the default (port + 10000) is out of range for a free port above 55535.
            let bus = try RedisServerProcess.freeLoopbackPort()
            nodes.append(try await RedisServerProcess.start(extraArguments: arguments + ["--cluster-port", "\(bus)"]))
        }
        let cluster = RedisClusterProcesses(nodes: nodes, primaryCount: primaries)
        try await RedisCommandLine.run(
            ["--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" }
                + ["--cluster-replicas", "\(replicasPerPrimary)", "--cluster-yes"],
            timeout: .seconds(60))
        try await cluster.waitUntilSettled(timeout: .seconds(60))
        return cluster
    }

    /// Waits until every node reports `cluster_state:ok` and sees every other node in its role (no handshake, no
    /// failure flag), and every replica's link to its primary is up.
    public func waitUntilSettled(timeout: Duration = .seconds(30)) async throws {
        for node in nodes {
            try await RedisCommandLine.wait(timeout: timeout, "node \(node.port) did not report cluster_state:ok") {
                guard let info = try? await RedisCommandLine.run(["-p", "\(node.port)", "CLUSTER", "INFO"]),
                      let table = try? await RedisCommandLine.run(["-p", "\(node.port)", "CLUSTER", "NODES"])
                else { return false }
                let flags = table.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst(2).first }
                return info.contains("cluster_state:ok") && flags.count == nodes.count
                    && flags.filter { $0.contains("master") }.count == primaryCount
                    && flags.allSatisfy { !$0.contains("fail") && !$0.contains("handshake") && !$0.contains("noaddr") }
            }
            try await RedisCommandLine.wait(timeout: timeout, "replica \(node.port) did not sync with its primary") {
                guard let info = try? await RedisCommandLine.run(["-p", "\(node.port)", "INFO", "replication"]) else { return false }
                return info.contains("role:master") || info.contains("master_link_status:up")
            }
        }
    }

    /// One line of `CLUSTER NODES`: a node's id, port, role, primary (for a replica) and slot ranges.
    public struct Node: Sendable {
        public let id: String
        public let port: Int
        public let isPrimary: Bool
        /// Whether the asking node flags it as failing (`fail` or `fail?`).
        public let isFailing: Bool
        /// For a replica, its primary's id.
        public let primaryID: String?
        /// The slots it serves (migration entries such as `[93->-id]` left out).
        public let slots: [ClosedRange<Int>]
    }

    /// The nodes as `CLUSTER NODES` on `port` (the first node by default) sees them, by port.
    public func nodeTable(askingPort port: Int? = nil) async throws -> [Node] {
        let text = try await RedisCommandLine.run(["-p", "\(port ?? nodes[0].port)", "CLUSTER", "NODES"])
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 8, let address = fields[1].split(separator: "@").first,
                  let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...])
            else { return nil }
            let slots = fields.dropFirst(8).compactMap { range -> ClosedRange<Int>? in
                let bounds = range.split(separator: "-").compactMap { Int($0) }
                guard let low = bounds.first else { return nil }
                return low...(bounds.count > 1 ? bounds[1] : low)
            }
            let isPrimary = fields[2].contains("master")
            return Node(id: fields[0], port: port, isPrimary: isPrimary, isFailing: fields[2].contains("fail"),
                        primaryID: isPrimary ? nil : fields[3], slots: slots)
        }.sorted { $0.port < $1.port }
    }

    /// The ports of the nodes that are primaries now (failovers change them), as `CLUSTER NODES` on `port` sees it.
    public func primaryPorts(askingPort port: Int? = nil) async throws -> [Int] {
        try await nodeTable(askingPort: port).filter { $0.isPrimary && !$0.isFailing }.map(\.port)
    }

    /// Stops every node.
    public func stop() async {
        for node in nodes { await node.stop() }
    }
}
