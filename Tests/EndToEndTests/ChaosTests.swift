// ChaosTests: Redis crashes, freezes, pauses and drops its clients while session-bench journeys run through HAProxy.

import EmbeddedRedis
import Foundation
import HiredisClient
import Testing

/// A topology of its own: its Redis is hurt on purpose.
@Suite("Chaos under load", .topology())
struct ChaosTests {
    enum Fault: String, CaseIterable, Sendable {
        case killAndRestart = "kill -9, restart after 3 s"
        case freeze = "SIGSTOP for 3 s, then SIGCONT"
        case clientPause = "CLIENT PAUSE 2000"
        case clientKill = "CLIENT KILL TYPE normal"

        /// The shortest Redis outage the bench's PING watcher may report (its probes have a 100 ms deadline each
        /// side of the fault); `nil`: connections are cut, but Redis keeps answering.
        var leastOutageMilliseconds: Double? {
            switch self {
            case .killAndRestart, .freeze: 2_500
            case .clientPause: 1_500
            case .clientKill: nil
            }
        }
    }

    /// What the bench reported (the fields the checks read).
    struct Report: Decodable {
        struct Outage: Decodable {
            let failed_requests: Int
            let status_5xx: [String: Int]
            let transport_errors: Int
            let slowest_request_ms: Double
            let redis_outage_ms: Double?
            let recovery_ms: Double?
        }
        let ops: Int
        let errors: Int
        let violations: Int
        let journeys: Int?
        let outage: Outage?
    }

    @Test("every fault: 0 violations, only 503s, nothing hangs, nothing leaks, service back within 250 ms of Redis",
          .timeLimit(.minutes(3)))
    func faultsUnderLoad() async throws {
        let topology = try Topology.required()
        for fault in Fault.allCases {
            let report = try await run(fault, topology: topology)
            let outage = report.outage
            let summary = "\(fault.rawValue): ops \(report.ops), errors \(report.errors), journeys \(report.journeys ?? 0), "
                + "outage \(outage.map { "failed \($0.failed_requests) \($0.status_5xx) transport \($0.transport_errors) slowest \($0.slowest_request_ms) ms redis out \($0.redis_outage_ms ?? -1) ms recovery \($0.recovery_ms ?? -1) ms" } ?? "none")"
            print("chaos: \(summary)")
            #expect(report.violations == 0, "\(summary)")
            #expect(report.ops > 0 && (report.journeys ?? 0) > 0, "\(summary)")
            if let outage {
                #expect(Set(outage.status_5xx.keys).isSubset(of: ["503"]), "no 5xx but 503: \(summary)")
                #expect(outage.transport_errors == 0, "\(summary)")
                #expect(outage.slowest_request_ms < 4000, "no request hangs past its deadline: \(summary)")
                // Only after an outage of Redis: under CLIENT KILL it keeps answering, so an interval the watcher
                // records then is its own (its connection killed too, or a PING slowed past its deadline on a loaded
                // host), and the failures the kill causes seconds later say nothing of recovering from it.
                if let recovery = outage.recovery_ms, fault.leastOutageMilliseconds != nil {
                    #expect(recovery <= 250, "service back within 250 ms of Redis answering: \(summary)")
                }
            }
            if let least = fault.leastOutageMilliseconds {
                // The whole outage, not a slow PING's blip beside it (the report takes the longest interval).
                #expect((outage?.redis_outage_ms ?? 0) >= least, "the bench saw an outage of \(least) ms at least: \(summary)")
            }
            try await expectNoLeak(topology, after: fault)
        }
    }

    /// Runs the bench for 9 s and hurts Redis 3 s in; returns the bench's report.
    private func run(_ fault: Fault, topology: Topology) async throws -> Report {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-\(UUID().uuidString.prefix(8)).json").path
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Topology.builtExecutable(named: "session-bench"))
        process.arguments = [
            "http", "--url", topology.url, "--insecure", "--users", "24", "--duration", "9s", "--workload", "journeys",
            "--renew-grace", topology.options.renewGrace, "--json", "--watch-redis", topology.redis.url,
        ]
        process.environment = Topology.childEnvironment(["SESSION_DEMO_PASSWORD": Topology.password])
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle.nullDevice
        try ChildProcesses.run(process)
        try await Task.sleep(for: .seconds(3))
        try await inject(fault, topology: topology)
        let exited = await ChildProcesses.waitForExit(process, timeout: .seconds(60))
        #expect(exited, "the bench finished")
        let data = try Data(contentsOf: URL(fileURLWithPath: output))
        try? FileManager.default.removeItem(atPath: output)
        do {
            return try JSONDecoder().decode(Report.self, from: data)
        } catch {
            throw TopologyError("\(fault.rawValue): unreadable bench report: \(String(decoding: data.prefix(400), as: UTF8.self))")
        }
    }

    private func inject(_ fault: Fault, topology: Topology) async throws {
        switch fault {
        case .killAndRestart:
            await topology.killRedis()
            try await Task.sleep(for: .seconds(3))
            try await topology.restartRedis()
        case .freeze:
            topology.redis.freeze()
            try await Task.sleep(for: .seconds(3))
            topology.redis.thaw()
        case .clientPause:
            try await admin(topology) { try await $0.send("CLIENT", "PAUSE", 2000) }
        case .clientKill:
            try await admin(topology) { try await $0.send("CLIENT", "KILL", "TYPE", "normal") }
        }
    }

    /// After the run: every instance is healthy, and Redis has no more clients than the pools may hold.
    private func expectNoLeak(_ topology: Topology, after fault: Fault) async throws {
        try await Task.sleep(for: .seconds(1))
        for index in topology.instancePorts.indices {
            let health = try await topology.sendDirect(to: index, .GET, "/healthz")
            #expect(health.status == 200, "\(fault.rawValue): instance \(index + 1) healthy again: \(health.summary)")
        }
        let clients = try await admin(topology) { try await $0.send("CLIENT", "LIST", "TYPE", "normal").string ?? "" }
        let count = clients.split(separator: "\n").count
        // Three instances, eight connections each at most, plus this admin connection.
        #expect(count <= 3 * 8 + 1, "\(fault.rawValue): \(count) client connections after the run")
    }

    @discardableResult
    private func admin<Value: Sendable>(_ topology: Topology, _ body: (RedisConnection) async throws -> Value) async throws -> Value {
        let connection = try await RedisConnection.connect(configuration: .init(url: topology.redis.url))
        defer { connection.close() }
        return try await body(connection)
    }
}
