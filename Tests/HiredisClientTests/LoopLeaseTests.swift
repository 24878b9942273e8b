// LoopLeaseTests: commands from tasks that run on the client's event loops share one pooled use per loop.

import EmbeddedRedis
import HiredisClient
import NIOCore
import NIOPosix
import Testing

@Suite("Commands from tasks on the event loops")
struct LoopLeaseTests {
    @Test("tasks on every loop get their replies; the loops' uses go back to the pool, so shutdown finishes")
    func tasksOnLoops() async throws {
        let server = try await RedisServerProcess.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var configuration = try RedisClientConfiguration(url: server.url)
        configuration.pool.connections = .init(minimum: 2, maximum: 4)
        let client = RedisClient(configuration: configuration, eventLoopGroup: group)
        let runner = Task { try await client.run() }
        let executors = group.makeIterator().map { EventLoopTaskExecutor($0) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for worker in 0..<64 {
                tasks.addTask(executorPreference: executors[worker % executors.count]) {
                    for iteration in 0..<200 {
                        let value = "\(worker)-\(iteration)"
                        if iteration % 50 == 0 {
                            // A pipeline and an exclusive lease in between: both still work beside the loop's use.
                            let replies = try await client.pipeline([RedisCommand("SET", "k\(worker)", value), RedisCommand("GET", "k\(worker)")])
                            #expect(replies.last == .bulk(Array(value.utf8)))
                            let echoed = try await client.withConnection { connection in
                                try await connection.send("ECHO", value)
                            }
                            #expect(echoed == .bulk(Array(value.utf8)))
                        } else {
                            #expect(try await client.send("ECHO", value) == .bulk(Array(value.utf8)))
                        }
                    }
                }
            }
            try await tasks.waitForAll()
        }
        // Every use is back: shutdown ends run() at once instead of waiting for a lease that was never returned.
        client.shutdown()
        let start = ContinuousClock.now
        try await runner.value
        #expect(ContinuousClock.now - start < .seconds(2))
        try await group.shutdownGracefully()
    }

    @Test("a connection that dies under the loop's use is not handed out again; commands recover")
    func deadConnectionIsDropped() async throws {
        let server = try await RedisServerProcess.start()
        var configuration = try RedisClientConfiguration(url: server.url)
        configuration.pool.connections = .init(minimum: 1, maximum: 2)
        try await withRedisClient(configuration) { client in
            let executor = EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
            try await withTaskExecutorPreference(executor) {
                #expect(try await client.send("PING") == .status("PONG"))
                try await client.send("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no")
            }
            var recovered = false
            for _ in 0..<100 where !recovered {
                recovered = await withTaskExecutorPreference(executor) {
                    (try? await client.send("PING")) == .status("PONG")
                }
                if !recovered { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(recovered)
        }
    }
}
