// RedisBench: `session-bench redis`: GET/SET load on the client and its pool.

import ArgumentParser
import Foundation
import HiredisClient
import Logging
import EmbeddedRedis
import Synchronization

struct RedisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Measures the Redis client: concurrent tasks sharing one connection pool."
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case get, set, mixed
    }

    @OptionGroup var options: BenchOptions

    @Option(help: "get, set or mixed (80% GET, 20% SET).")
    var workload: Workload = .get

    @Option(help: "Size of the values written and read.")
    var valueBytes = 200

    static let keyCount = 1000

    func validate() throws {
        guard valueBytes >= 0 else { throw ValidationError("--value-bytes must not be negative") }
    }

    func run() async throws {
        let embedded = try await EmbeddedRedis.startIfNeeded(url: options.redis, quiet: options.json)
        let url = options.redis ?? embedded!.url
        let configuration = try options.clientConfiguration(url: url)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "session-bench"))
        let pool = Task { try await client.run() }
        defer { client.shutdown() }

        let value = [UInt8](repeating: UInt8(ascii: "x"), count: valueBytes)
        let keys = (0..<Self.keyCount).map { "bench:key:\($0)" }
        _ = try await client.pipeline(keys.map { RedisCommand("SET", $0, value) })

        let workload = self.workload
        let runner = LoadRunner(concurrency: options.concurrency, duration: options.duration.duration, showProgress: options.showProgress,
                                executors: options.eventLoopExecutors)
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
        let report = BenchReport(mode: "redis", workload: workload.rawValue, concurrency: options.concurrency,
                                 connections: options.connections, result: result)
        if options.json {
            print(report.json())
        } else {
            print(report.table())
            for error in result.firstErrors { print("error: \(error)") }
        }
        client.shutdown()
        try await pool.value
        await embedded?.stop()
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
