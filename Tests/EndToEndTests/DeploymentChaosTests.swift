// DeploymentChaosTests: a slot migration and primary kills on a real Cluster and Sentinel while `session-bench store` runs.

import EmbeddedRedis
import Foundation
import HiredisClient
import Testing

/// Each test starts its own deployment, runs the store bench against it (its consistency checks are the oracle),
/// hurts the deployment a few seconds in, and reads the bench's report.
@Suite("Chaos on Sentinel and Cluster, under store load", .serialized)
struct DeploymentChaosTests {
    /// What the bench reported (the fields the checks read).
    struct Report: Decodable {
        struct Failover: Decodable {
            let promoted: String?
            let followed_after_promotion_ms: Double?
            let longest_probe_gap_ms: Double
            let probe_rounds: Int
            let probe_rounds_failed: Int
        }
        let ops: Int
        let errors: Int
        let violations: Int
        let redirections: [String: Int]?
        let failover: Failover?
        let error_examples: [String]?

        var summary: String {
            "ops \(ops), errors \(errors), violations \(violations), redirections \(redirections ?? [:]), "
                + "failover \(failover.map { "promoted \($0.promoted ?? "none"), followed \($0.followed_after_promotion_ms.map { "\($0) ms" } ?? "never") after it, longest probe gap \($0.longest_probe_gap_ms) ms, \($0.probe_rounds_failed)/\($0.probe_rounds) probe rounds failed" } ?? "-"), "
                + "errors seen \(error_examples ?? [])"
        }
    }

    @Test("a slot migration under load (MIGRATING/IMPORTING + MIGRATE, so ASK and MOVED both happen): 0 violations",
          .timeLimit(.minutes(3)))
    func slotMigrationUnderLoad() async throws {
        let cluster = try await RedisClusterProcesses.start(replicasPerPrimary: 1)
        let (report, slots, moved) = try await stopping(cluster.stop) {
            let nodes = try await cluster.nodeTable()
            let primaries = nodes.filter(\.isPrimary)
            let (source, target) = (primaries[0], primaries[1])
            let bench = try BenchRun(url: cluster.url, arguments: ["--sessions", "200", "--concurrency", "16", "--duration", "10s"])
            let slots = Array(source.slots.first!.prefix(1500))
            var moved = 0
            try await bench.whileRunning {
                try await Task.sleep(for: .seconds(1))
                for slot in slots { moved += try await migrate(slot: slot, from: source, to: target, primaries: primaries) }
            }
            return (try await bench.finish(), slots, moved)
        }
        print("slot migration (\(slots.count) slots, \(moved) keys moved): \(report.summary)")
        #expect(report.violations == 0, "\(report.summary)")
        #expect(report.ops > 0)
        #expect(moved > 0, "keys were moved")
        #expect((report.redirections?["ASK"] ?? 0) > 0, "ASK was followed: \(report.summary)")
        #expect((report.redirections?["MOVED"] ?? 0) > 0, "MOVED was followed: \(report.summary)")
    }

    @Test("a cluster primary killed under load, durable revocation on: 0 violations, the promotion followed",
          .timeLimit(.minutes(3)))
    func clusterPrimaryKilledUnderLoad() async throws {
        let cluster = try await RedisClusterProcesses.start(replicasPerPrimary: 1)
        let (report, replica) = try await stopping(cluster.stop) {
            let nodes = try await cluster.nodeTable()
            let victim = nodes.first(where: \.isPrimary)!
            let replica = try #require(nodes.first { $0.primaryID == victim.id })
            let report = try await underLoad(url: cluster.url, watching: replica.port, duration: "10s") {
                await cluster.nodes.first { $0.port == victim.port }!.kill()
            }
            return (report, replica)
        }
        print("cluster primary killed: \(report.summary)")
        expectFollowed(report, promoted: replica.port)
    }

    @Test("a Sentinel primary killed under load: the store follows the new primary, 0 violations, no READONLY reaches a caller",
          .timeLimit(.minutes(3)))
    func sentinelPrimaryKilledUnderLoad() async throws {
        // A split first vote makes the sentinels try again after twice the failover timeout: 2 s here (the default,
        // 5 s, would need a longer run for the same margin).
        let deployment = try await RedisSentinelProcesses.start(failoverTimeout: .seconds(2))
        let replica = deployment.dataNodes[1]
        let report = try await stopping(deployment.stop) {
            try await underLoad(url: deployment.url, watching: replica.port, duration: "14s") { await deployment.dataNodes[0].kill() }
        }
        print("sentinel primary killed: \(report.summary)")
        expectFollowed(report, promoted: replica.port)
    }

    /// Runs `body`, then `stop`, whether `body` threw or not.
    private func stopping<Value>(_ stop: () async -> Void, _ body: () async throws -> Value) async throws -> Value {
        do {
            let value = try await body()
            await stop()
            return value
        } catch {
            await stop()
            throw error
        }
    }

    /// Runs the mixed workload with durable revocation, watching `replica`, and calls `fault` two seconds into the load.
    private func underLoad(url: String, watching replica: Int, duration: String, fault: () async throws -> Void) async throws -> Report {
        let bench = try BenchRun(url: url, arguments: [
            "--sessions", "2000", "--concurrency", "16", "--duration", duration, "--durable-revocation",
            "--watch-promotion", "127.0.0.1:\(replica)",
        ])
        try await bench.whileRunning {
            try await Task.sleep(for: .seconds(2))
            try await fault()
        }
        return try await bench.finish()
    }

    /// 0 violations (a READONLY reaching a caller is one), the replica promoted and the client served after it.
    private func expectFollowed(_ report: Report, promoted port: Int) {
        #expect(report.violations == 0, "\(report.summary)")
        #expect(report.ops > 0)
        #expect(report.failover?.promoted == "127.0.0.1:\(port)", "the replica was promoted: \(report.summary)")
        // The 2 s target is measured by the bench (see README); this bound only catches a client that never follows.
        #expect((report.failover?.followed_after_promotion_ms ?? .infinity) < 5000, "\(report.summary)")
    }

    /// Moves one slot and its keys the way `redis-cli --cluster reshard` does, pausing after each batch of keys so
    /// that commands for moved keys meet `ASK`; then assigns the slot, after which the old owner answers `MOVED`.
    /// Returns how many keys moved.
    private func migrate(slot: Int, from source: RedisClusterProcesses.Node, to target: RedisClusterProcesses.Node, primaries: [RedisClusterProcesses.Node]) async throws -> Int {
        let (from, to) = try await (RedisConnection.connect(port: source.port), RedisConnection.connect(port: target.port))
        defer { from.close(); to.close() }
        _ = try await to.send("CLUSTER", "SETSLOT", slot, "IMPORTING", source.id)
        _ = try await from.send("CLUSTER", "SETSLOT", slot, "MIGRATING", target.id)
        var moved = 0
        while true {
            let keys = try await from.send("CLUSTER", "GETKEYSINSLOT", slot, 100).array?.compactMap(\.string) ?? []
            if keys.isEmpty { break }
            let command = RedisCommand("MIGRATE", arguments: ["127.0.0.1", target.port, "", 0, 5000, "KEYS"] + keys)
            _ = try await from.send(command)
            moved += keys.count
            try await Task.sleep(for: .milliseconds(100))
        }
        _ = try await to.send("CLUSTER", "SETSLOT", slot, "NODE", target.id)
        _ = try await from.send("CLUSTER", "SETSLOT", slot, "NODE", target.id)
        for other in primaries where other.id != source.id && other.id != target.id {
            let connection = try await RedisConnection.connect(port: other.port)
            _ = try await connection.send("CLUSTER", "SETSLOT", slot, "NODE", target.id)
            connection.close()
        }
        return moved
    }
}

/// `session-bench store --workload mixed --json` running as a child process.
private struct BenchRun {
    let process: Process
    let output: String
    let errors: String

    /// Starts the bench against `url` with more `arguments`; its report goes to one file, its standard error to another.
    init(url: String, arguments: [String]) throws {
        let name = FileManager.default.temporaryDirectory.appendingPathComponent("deployment-chaos-\(UUID().uuidString.prefix(8))").path
        (output, errors) = (name + ".json", name + ".err")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Topology.builtExecutable(named: "session-bench"))
        process.arguments = ["store", "--redis", url, "--workload", "mixed", "--json"] + arguments
        process.environment = Topology.childEnvironment([:])
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: errors)
        try ChildProcesses.run(process)
    }

    /// Waits until the bench says its load runs (its sessions are created), then runs `body`; stops the bench when
    /// either fails.
    func whileRunning(_ body: () async throws -> Void) async throws {
        do {
            let start = ContinuousClock.now
            while !(try String(contentsOfFile: errors, encoding: .utf8)).contains("session-bench: load started") {
                guard process.isRunning, ContinuousClock.now - start < .seconds(60) else {
                    throw TopologyError("the bench's load did not start: \(tail())")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await body()
        } catch {
            if process.isRunning { process.terminate() }
            throw error
        }
    }

    /// Waits for the bench to exit and reads its report.
    func finish() async throws -> DeploymentChaosTests.Report {
        let exited = await ChildProcesses.waitForExit(process, timeout: .seconds(90))
        if !exited { process.terminate() }
        #expect(exited, "the bench finished")
        let data = try Data(contentsOf: URL(fileURLWithPath: output))
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: errors)
        }
        do {
            return try JSONDecoder().decode(DeploymentChaosTests.Report.self, from: data)
        } catch {
            throw TopologyError("unreadable bench report: \(String(decoding: data.prefix(400), as: UTF8.self)); its errors: \(tail())")
        }
    }

    /// The end of the bench's standard error (its warnings and any error it exited with).
    private func tail() -> String {
        String(((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "").suffix(1500))
    }
}

extension RedisConnection {
    /// A plain connection to a loopback node (test administration).
    static func connect(port: Int) async throws -> RedisConnection {
        try await connect(configuration: .init(url: "redis://127.0.0.1:\(port)"))
    }
}
