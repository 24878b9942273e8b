// SubscriptionTests: Pub/Sub on a dedicated connection, with patterns, surviving a Redis restart.

import EmbeddedRedis
import HiredisClient
import Testing

@Suite("Pub/Sub against a real redis-server")
struct SubscriptionTests {
    @Test("messages of channels and patterns arrive in order; the subscription survives a restart of Redis")
    func subscribeAndResubscribe() async throws {
        let server = try await RedisServerProcess.start()
        try await withRedisClient(try .init(url: server.url)) { redis in
            var events = redis.subscribe(to: ["news", "sports"], patterns: ["user:*"]).makeAsyncIterator()
            #expect(await events.next() == .subscribed(reconnected: false))
            #expect(try await redis.send("PUBLISH", "news", "one") == .integer(1))
            #expect(try await redis.send("PUBLISH", "user:7", "two") == .integer(1))
            #expect(try await redis.send("PUBLISH", "sports", "three") == .integer(1))
            #expect(await events.next() == .message(.init(channel: "news", pattern: nil, payload: Array("one".utf8))))
            #expect(await events.next() == .message(.init(channel: "user:7", pattern: "user:*", payload: Array("two".utf8))))
            #expect(await events.next() == .message(.init(channel: "sports", pattern: nil, payload: Array("three".utf8))))
            // The shared path refuses SUBSCRIBE: subscriptions never share a connection with commands.
            await #expect(throws: RedisError.self) { try await redis.send("SUBSCRIBE", "news") }

            await server.kill()
            try await server.restart()
            #expect(await events.next() == .subscribed(reconnected: true))
            let delivered = try await redis.send("PUBLISH", "news", "after")
            #expect(delivered == .integer(1), "subscribed again on the new server")
            #expect(await events.next() == .message(.init(channel: "news", pattern: nil, payload: Array("after".utf8))))
        }
    }

    @Test("a subscription ends when its task is cancelled, and closes its connection")
    func cancellationEnds() async throws {
        let server = try await RedisServerProcess.start()
        try await withRedisClient(try .init(url: server.url)) { redis in
            let listener = Task {
                var count = 0
                for await event in redis.subscribe(to: ["c"]) {
                    if case .message = event { count += 1 }
                }
                return count
            }
            for _ in 0..<100 {
                if try await redis.send("PUBSUB", "NUMSUB", "c").array?.last == .integer(1) { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await redis.send("PUBLISH", "c", "x") == .integer(1))
            try await Task.sleep(for: .milliseconds(50))
            listener.cancel()
            #expect(await listener.value == 1)
            var subscribers: RedisReply = .null
            for _ in 0..<100 {
                subscribers = try await redis.send("PUBSUB", "NUMSUB", "c")
                if subscribers.array?.last == .integer(0) { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(subscribers.array?.last == .integer(0), "the subscription's connection was closed")
        }
    }

    @Test("a subscription ends when the client shuts down; an error reply to SUBSCRIBE is retried, not waited on")
    func shutdownEndsSubscriptions() async throws {
        let server = try await RedisServerProcess.start()
        let listener = try await withRedisClient(try .init(url: server.url)) { redis in
            let listener = Task {
                var events = 0
                for await _ in redis.subscribe(to: ["c"]) { events += 1 }
                return events
            }
            for _ in 0..<100 {
                if try await redis.send("PUBSUB", "NUMSUB", "c").array?.last == .integer(1) { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            return listener
        }
        let start = ContinuousClock.now
        #expect(await listener.value == 1, "the subscribed event, then the end")
        #expect(ContinuousClock.now - start < .seconds(2))
    }
}
