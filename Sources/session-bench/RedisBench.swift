// RedisBench: `session-bench redis`: GET/SET load on the client and its pool.

import ArgumentParser
import Foundation
import HiredisClient
import Logging
import RedisTestSupport
import Synchronization

struct RedisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Measures the Redis client: concurrent tasks sharing one connection pool."
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case get, set, mixed
    }

    @Option(help: "Redis URL; without it a private redis-server is started on a free loopback port.")
    var redis: String?

    @Option(help: "get, set or mixed (80% GET, 20% SET).")
    var workload: Workload = .get

    @Option(help: "Concurrent tasks.")
    var concurrency = 64

    @Option(help: "Connections in the pool.")
    var connections = 8

    @Option(help: "How long to run, e.g. 10s or 500ms.")
    var duration = BenchDuration(argument: "10s")!

    @Option(help: "Size of the values written and read.")
    var valueBytes = 200

    @Flag(help: "Print exactly one JSON object on standard output.")
    var json = false

    static let keyCount = 1000

    func validate() throws {
        guard concurrency > 0, connections > 0, valueBytes >= 0 else {
            throw ValidationError("--concurrency and --connections must be positive, --value-bytes not negative")
        }
    }

    func run() async throws {
        let embedded = try await EmbeddedRedis.startIfNeeded(url: redis, quiet: json)
        let url = redis ?? embedded!.url
        var configuration = try RedisClientConfiguration(url: url)
        configuration.pool.connections = .init(minimum: connections, maximum: connections)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "session-bench"))
        let pool = Task { try await client.run() }
        defer { client.shutdown() }

        let value = [UInt8](repeating: UInt8(ascii: "x"), count: valueBytes)
        let keys = (0..<Self.keyCount).map { "bench:key:\($0)" }
        _ = try await client.pipeline(keys.map { RedisCommand("SET", $0, value) })

        let workload = self.workload
        let runner = LoadRunner(concurrency: concurrency, duration: duration.duration, showProgress: !json && isatty(2) == 1)
        let result = await runner.run { worker, iteration in
            let key = keys[(worker &* 7919 &+ iteration) % keys.count]
            switch workload {
            case .get: _ = try await client.send(RedisCommand("GET", key))
            case .set: _ = try await client.send(RedisCommand("SET", key, value))
            case .mixed:
                if iteration % 5 == 4 {
                    _ = try await client.send(RedisCommand("SET", key, value))
                } else {
                    _ = try await client.send(RedisCommand("GET", key))
                }
            }
        }
        let report = BenchReport(mode: "redis", workload: workload.rawValue, concurrency: concurrency, connections: connections, result: result)
        if json {
            print(report.json())
        } else {
            print(report.table())
            for error in result.firstErrors { print("error: \(error)") }
        }
        client.shutdown()
        try await pool.value
        embedded?.stop()
    }
}

/// Starts the embedded default redis-server when no URL was given.
enum EmbeddedRedis {
    static func startIfNeeded(url: String?, quiet: Bool) async throws -> RedisServerProcess? {
        guard url == nil else { return nil }
        do {
            let server = try await RedisServerProcess.start()
            if !quiet { print("started a private redis-server on 127.0.0.1:\(server.port) (pass --redis URL to use another)") }
            return server
        } catch let error as RedisServerProcess.StartError {
            throw ValidationError(error.description)
        }
    }
}
