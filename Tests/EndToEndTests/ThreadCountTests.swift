// ThreadCountTests: a session-server with 32 Redis connections open under load runs no thread per connection.

import AsyncHTTPClient
import EmbeddedRedis
import Foundation
import HiredisClient
import NIOHTTP1
import Testing

@Suite("Threads of a session-server")
struct ThreadCountTests {
    /// Starts a session-server with `connections` Redis connections, loads it with 200 concurrent requests, and
    /// returns its thread count and how many Redis connections it had open meanwhile.
    private func threadsUnderLoad(connections: Int, redis: RedisServerProcess, directory: String) async throws -> (threads: Int, clients: Int) {
        let port = try RedisServerProcess.freeLoopbackPort()
        let server = try ChildProcess.launch(
            name: "server-\(connections)", executable: try Topology.sessionServerBinary(),
            arguments: ["--host", "127.0.0.1", "--port", "\(port)", "--redis", redis.url, "--redis-connections", "\(connections)",
                        "--insecure-cookies", "--instance-id", "threads-\(connections)"],
            environment: Topology.childEnvironment(["SESSION_SECRET": Topology.randomHex(bytes: 32), "SESSION_DEMO_PASSWORD": "pw"]),
            logDirectory: directory)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let url = "http://127.0.0.1:\(port)"
            _ = try await eventually("the server answers /healthz", timeout: .seconds(20), logs: { server.logTail() }) {
                (try? await client.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(1)).status) == .ok ? true : nil
            }
            var peak = (threads: 0, clients: 0)
            for _ in 0..<3 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<200 {
                        group.addTask {
                            let response = try await client.execute(HTTPClientRequest(url: url + "/csrf"), timeout: .seconds(10))
                            _ = try await response.body.collect(upTo: 1 << 16)
                        }
                    }
                    try await group.waitForAll()
                }
                let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/task").count
                let list = try await RedisConnection.connect(configuration: .init(url: redis.url))
                let clients = (try await list.send("CLIENT", "LIST", "TYPE", "normal").string ?? "")
                    .split(separator: "\n").filter { !$0.contains("cmd=client") }.count
                list.close()
                peak = (max(peak.threads, threads), max(peak.clients, clients))
            }
            try await client.shutdown()
            await server.stop()
            return peak
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
    }

    @Test("32 Redis connections open under load add no thread to the process (1 connection is the baseline)")
    func noThreadPerRedisConnection() async throws {
        let redis = try await RedisServerProcess.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("threads-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let one = try await threadsUnderLoad(connections: 1, redis: redis, directory: directory)
        let many = try await threadsUnderLoad(connections: 32, redis: redis, directory: directory)
        #expect(many.clients >= 32, "the pool had its 32 connections open: \(many)")
        // A thread per connection would add 31; the runtime's pools may differ by a thread or two between runs.
        #expect(many.threads <= one.threads + 3, "threads with 1 connection: \(one.threads), with 32: \(many.threads)")
        print("threads: 1 Redis connection → \(one.threads) threads; 32 connections → \(many.threads) threads (\(many.clients) clients)")
    }
}
