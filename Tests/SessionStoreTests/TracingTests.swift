// TracingTests: on a real redis-server, spans nest as documented (outer → session.<op> → Redis command), with the
// operation, outcome and round trips, and never a token, a key or (unless asked) a user name.

import Foundation
import HiredisClient
import InMemoryTracing
import Logging
import EmbeddedRedis
import RedisSessionStore
import SessionStore
import Testing
import Tracing

@Suite("Tracing: store operation and Redis command spans", .serialized)
struct TracingTests {
    @Test("a load under an outer span: outer → session.load → its Redis command, with outcome and round trips")
    func loadNestsUnderTheOuterSpan() async throws {
        let tracer = InMemoryTracer()
        try await withTracedStore(tracer) { store, _ in
            let session = try await store.create(user: nil)
            let token = try #require(session.token).rawValue
            tracer.clearAll()
            let loaded = try await tracer.withSpan("GET /me", ofKind: .server) { _ in try await store.load(token) }
            #expect(loaded != nil)

            let spans = tracer.finishedSpans
            let outer = try #require(spans.first { $0.operationName == "GET /me" })
            let load = try #require(spans.first { $0.operationName == "session.load" })
            #expect(load.parentSpanID == outer.spanID && load.traceID == outer.traceID)
            let commands = spans.filter { $0.parentSpanID == load.spanID }
            #expect(commands.count == 1)
            for command in commands {
                #expect(command.kind == .client && command.traceID == outer.traceID)
                #expect(command.attributes.get("db.system") == .string("redis"))
                #expect(command.attributes.get("db.operation") == .string(command.operationName))
                #expect(["HGETALL", "TIME HGETALL"].contains(command.operationName))
            }
            #expect(load.attributes.get("session.operation") == .string("load"))
            #expect(load.attributes.get("session.outcome") == .string("ok"))
            #expect(load.attributes.get("session.round_trips") == .int64(Int64(commands.count)))
            #expect(spans.count == 3)
            expectNoSecrets(spans, token: token, user: nil)
        }
    }

    @Test("outcomes: none, malformed (no round trip), conflict and not_found with the error status; login takes three round trips")
    func outcomesAndRoundTrips() async throws {
        let tracer = InMemoryTracer()
        try await withTracedStore(tracer) { store, _ in
            let ended = try await store.create(user: nil)
            try await store.destroy(ended)
            _ = try await store.load(try #require(ended.token).rawValue)
            _ = try await store.load("garbage")
            var session = try await store.create(user: nil)
            var stale = session
            try session.set("a", to: 1)
            try await store.save(&session, checkingRevision: true)
            try stale.set("a", to: 2)
            await #expect(throws: SessionStoreError.self) { try await store.save(&stale, checkingRevision: true) }
            let user = try await store.rotate(session, .login(user: "alice"))
            try await store.destroy(user)
            await #expect(throws: SessionStoreError.self) { try await store.increment(user, "n", by: 1) }

            let spans = tracer.finishedSpans.filter { $0.operationName.hasPrefix("session.") }
            let summary = spans.map { span in
                "\(span.operationName) \(text(span.attributes.get("session.outcome"))) \(text(span.attributes.get("session.round_trips")))"
            }
            #expect(summary == [
                "session.create ok 1", "session.destroy ok 1", "session.load none 1", "session.load malformed 0", "session.create ok 1", "session.save ok 1",
                "session.save conflict 1", "session.rotate ok 3", "session.destroy ok 1", "session.increment not_found 1",
            ])
            for span in spans {
                let failed = ["conflict", "not_found"].contains(text(span.attributes.get("session.outcome")))
                #expect((span.status?.code == .error) == failed, "\(span.operationName)")
                #expect(failed == (span.attributes.get("error.type") != nil))
            }
            let rotate = try #require(spans.first { $0.operationName == "session.rotate" })
            #expect(rotate.attributes.get("session.rotation") == .string("login"))
            // Outside any traced context the Redis commands make no span of their own: only the store's spans exist,
            // each the root of its trace, with its commands beneath it.
            let roots = tracer.finishedSpans.filter { $0.parentSpanID == nil }
            #expect(roots.map(\.operationName) == spans.map(\.operationName))
            expectNoSecrets(tracer.finishedSpans, token: nil, user: "alice")
        }
    }

    @Test("user names are recorded (enduser.id) only when asked")
    func userNamesOnlyWhenAsked() async throws {
        let tracer = InMemoryTracer()
        try await withTracedStore(tracer, recordingUsers: true) { store, _ in
            let session = try await store.create(user: "alice")
            _ = try await store.load(try #require(session.token).rawValue)
            _ = try await store.sessions(ofUser: "alice")
            let spans = tracer.finishedSpans.filter { $0.operationName.hasPrefix("session.") }
            #expect(spans.count == 3)
            for span in spans { #expect(span.attributes.get("enduser.id") == .string("alice"), "\(span.operationName)") }
        }
    }

    @Test("after SCRIPT FLUSH: the EVALSHA span fails with NOSCRIPT, the EVAL span follows, the operation succeeds")
    func scriptReloadShowsAsTwoCommandSpans() async throws {
        let tracer = InMemoryTracer()
        try await withTracedStore(tracer) { store, server in
            var session = try await store.create(user: nil)
            try await tracer.withSpan("flush") { _ in
                let connection = try await RedisConnection.connect(configuration: .init(url: server.url))
                defer { connection.close() }
                _ = try await connection.send("SCRIPT", "FLUSH")
            }
            tracer.clearAll()
            try session.set("a", to: 1)
            try await tracer.withSpan("request") { _ in try await store.save(&session) }
            let save = try #require(tracer.finishedSpans.first { $0.operationName == "session.save" })
            let commands = tracer.finishedSpans.filter { $0.parentSpanID == save.spanID }
            #expect(commands.map(\.operationName) == ["EVALSHA", "EVAL"])
            #expect(commands.first?.attributes.get("error.type") == .string("NOSCRIPT"))
            #expect(commands.first?.status?.code == .error && commands.last?.status == nil)
            #expect(save.attributes.get("session.outcome") == .string("ok"))
            #expect(save.attributes.get("session.round_trips") == .int64(1))  // documented: the retry is not counted
        }
    }

    @Test("in memory: spans with 0 round trips; a no-op tracer makes none and changes nothing")
    func memoryStoreAndNoOpTracer() async throws {
        let tracer = InMemoryTracer()
        let store = TracedSessionStore(try MemorySessionStore(), tracer: tracer)
        let session = try await store.create(user: "bob")
        _ = try await store.load(try #require(session.token).rawValue)
        #expect(tracer.finishedSpans.map(\.operationName) == ["session.create", "session.load"])
        #expect(tracer.finishedSpans.allSatisfy { $0.attributes.get("session.round_trips") == .int64(0) })

        let untraced = TracedSessionStore(try MemorySessionStore(), tracer: NoOpTracer())
        let other = try await untraced.create(user: nil)
        #expect(try await untraced.load(try #require(other.token).rawValue)?.identity == other.identity)
    }
}

/// A Redis store over a fresh redis-server whose operations and commands are traced by `tracer`.
private func withTracedStore(
    _ tracer: InMemoryTracer, recordingUsers: Bool = false,
    _ body: (TracedSessionStore<RedisSessionStore>, RedisServerProcess) async throws -> Void
) async throws {
    let server = try await RedisServerProcess.start()
    var configuration = try RedisClientConfiguration(url: server.url)
    configuration.connection.tracer = tracer
    let client = RedisClient(configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    let runner = Task { try await client.run() }
    defer {
        client.shutdown()
        runner.cancel()
    }
    let store = try RedisSessionStore(redis: client, keyring: .ephemeral(), configuration: .init(sessions: testConfiguration()))
    try await body(TracedSessionStore(store, tracer: tracer, recordingUsers: recordingUsers), server)
    client.shutdown()
    _ = try? await runner.value
    await server.stop()
}

/// No attribute of any span holds the token, the user name or a key (`sess:`).
private func expectNoSecrets(_ spans: [FinishedInMemorySpan], token: String?, user: String?) {
    for span in spans {
        span.attributes.forEach { key, value in
            let rendered = text(value)
            if let token { #expect(!rendered.contains(token), "\(span.operationName).\(key)") }
            if let user { #expect(!rendered.contains(user), "\(span.operationName).\(key)") }
            #expect(!rendered.contains("sess:"), "\(span.operationName).\(key)")
        }
        if let token { #expect(!span.operationName.contains(token)) }
    }
}

/// A string or integer attribute as text (`-` when absent).
func text(_ attribute: SpanAttribute?) -> String {
    switch attribute {
    case .string(let value): value
    case .int64(let value): String(value)
    case .int32(let value): String(value)
    case .bool(let value): String(value)
    case .stringConvertible(let value): "\(value)"
    case nil: "-"
    default: "\(attribute!)"
    }
}
