// TracingServerTests: a request through session-server's app with a real redis-server: the HTTP span is the parent
// of the store's spans, which are the parents of the Redis command spans; and the options that turn export on.

import ArgumentParser
import Foundation
import HiredisClient
import Hummingbird
import HummingbirdTesting
import InMemoryTracing
import Logging
import EmbeddedRedis
import SessionStore
import Testing
import Tracing

@testable import session_server

@Suite struct TracingServerTests {
    @Test func requestSpanIsTheParentOfStoreSpansAndTheirRedisCommands() async throws {
        let redis = try await RedisServerProcess.start()
        let tracer = InMemoryTracer()
        let backend = try await StoreBackend.open(
            memory: false, redisURL: redis.url, keyring: .ephemeral(), configuration: .init(), tracer: tracer,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let client = try #require(backend.client)
        let runner = Task { try await client.run() }
        defer {
            client.shutdown()
            runner.cancel()
        }
        let server = try TestServer(store: backend.store)
        // TracingMiddleware starts its spans with the task's tracer: `withTracer` makes it this one, for this test only.
        let cookie = try await withTracer(tracer) { () async throws -> String? in
            try await server.app(tracesRequests: true).test(.router) { http async throws -> String? in
                var browser = Browser()
                try await browser.login(http, password: server.password)
                tracer.clearAll()
                #expect(try await browser.send(http, .get, "/me").status == .ok)
                return browser.cookie
            }
        }
        let spans = tracer.finishedSpans
        let request = try #require(spans.first { $0.kind == .server })
        #expect(request.operationName == "/me" && request.parentSpanID == nil)
        #expect(request.attributes.get("http.response.status_code") == .int64(200))
        let load = try #require(spans.first { $0.operationName == "session.load" })
        #expect(load.parentSpanID == request.spanID && load.traceID == request.traceID)
        let commands = spans.filter { $0.parentSpanID == load.spanID }
        #expect(!commands.isEmpty && commands.allSatisfy { $0.kind == .client && $0.attributes.get("db.system") == .string("redis") })
        #expect(load.attributes.get("session.round_trips") == .int64(Int64(commands.count)))
        let token = try #require(cookie)
        for span in spans {
            span.attributes.forEach { key, value in
                #expect(!"\(value)".contains(token) && !"\(value)".contains("alice"), "\(span.operationName).\(key)")
            }
        }
        client.shutdown()
        _ = try? await runner.value
        await redis.stop()
    }

    @Test func untracedServerHasNoTracingMiddlewareAndStoresAreNotWrapped() async throws {
        let backend = try await StoreBackend.open(
            memory: true, redisURL: nil, keyring: .ephemeral(), configuration: .init(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        #expect(backend.store is MemorySessionStore)
        let tracer = InMemoryTracer()
        try await withTracer(tracer) { () async throws in
            try await TestServer(store: backend.store).app().test(.router) { http async throws in
                let response = try await http.execute(uri: "/ping", method: .get)
                #expect(response.status == .ok)
            }
        }
        #expect(tracer.finishedSpans.isEmpty)
    }

    @Test func exportIsOnOnlyWithAnEndpointAndTheOptionWins() throws {
        let off = try TracingOptions(option: nil, environment: ["OTEL_SERVICE_NAME": "x"])
        #expect(!off.exports)
        let standard = try TracingOptions(option: nil, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"])
        #expect(standard.endpoint == "http://collector:4318/v1/traces")
        let perSignal = try TracingOptions(option: nil, environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:4318/traces",
        ])
        #expect(perSignal.endpoint == "http://b:4318/traces")
        let option = try TracingOptions(option: "https://user:secret@c:4318/", environment: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:4318/traces"])
        #expect(option.endpoint == "https://user:***@c:4318/v1/traces")
        #expect(option.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "https://user:secret@c:4318/")
        #expect(option.environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == nil)
        let disabled = try TracingOptions(option: nil, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_SDK_DISABLED": "true"])
        #expect(!disabled.exports)
        #expect(throws: ValidationError.self) {
            try TracingOptions(option: nil, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        }
        #expect(throws: ValidationError.self) { try TracingOptions(option: "collector:4318", environment: [:]) }

        let resolved = try ResolvedOptions(try SessionServer.parse(["--otlp-endpoint", "http://127.0.0.1:4318"]), environment: ["SESSION_DEMO_PASSWORD": "pw"])
        #expect(resolved.tracing.endpoint == "http://127.0.0.1:4318/v1/traces")
        let fromEnvironment = try ResolvedOptions(try SessionServer.parse([]), environment: [
            "SESSION_DEMO_PASSWORD": "pw", "SESSION_OTLP_ENDPOINT": "http://127.0.0.1:4319",
        ])
        #expect(fromEnvironment.tracing.endpoint == "http://127.0.0.1:4319/v1/traces")
        #expect(ServerTracing.startupNote(nil, fromEnvironment.tracing) == "tracing: off (built without the OTLPExport trait)")
        #expect(ServerTracing.startupNote(nil, off) == "tracing: off (no OTLP endpoint configured)")
    }
}
