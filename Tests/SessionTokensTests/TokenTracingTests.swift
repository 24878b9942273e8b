// TokenTracingTests: token-family operations on a real redis-server run in token_family.<op> spans with their
// outcome and round trips, above their Redis command spans, and never record a refresh token or (by default) a user.

import Foundation
import HiredisClient
import InMemoryTracing
import Logging
import EmbeddedRedis
import RedisSessionStore
import SessionStore
import SessionTokens
import Testing
import Tracing

@Suite("Tracing: token-family spans")
struct TokenTracingTests {
    @Test("issue, refresh, reuse and revoke: outcomes, round trips equal to the command spans beneath, no secrets")
    func familySpans() async throws {
        let server = try await RedisServerProcess.start()
        let tracer = InMemoryTracer()
        var configuration = try RedisClientConfiguration(url: server.url)
        configuration.connection.tracer = tracer
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let runner = Task { try await client.run() }
        defer {
            client.shutdown()
            runner.cancel()
        }
        var families = testFamilyConfiguration()
        families.grace = .zero
        let store = TracedTokenFamilyStore(try RedisTokenFamilyStore(client: client, keyring: .ephemeral(), configuration: families), tracer: tracer)

        let grant = try await tracer.withSpan("POST /token") { _ in try await store.issue(user: "carol") }
        guard case .rotated(let next) = try await store.refresh(grant.refreshToken) else { throw TokenTracingFailure("no rotation") }
        try await Task.sleep(for: .milliseconds(20))  // past the (zero) grace, whatever the clock's granularity
        guard case .reused = try await store.refresh(grant.refreshToken) else { throw TokenTracingFailure("no reuse") }
        #expect(try await store.revoke(refreshToken: next.refreshToken) == nil)
        _ = try await store.refresh("not-a-token")

        let spans = tracer.finishedSpans
        let operations = spans.filter { $0.operationName.hasPrefix("token_family.") }
        #expect(operations.map { "\($0.operationName) \(outcome($0))" } == [
            "token_family.issue ok", "token_family.refresh ok", "token_family.refresh reused", "token_family.revoke none",
            "token_family.refresh invalid",
        ])
        let request = try #require(spans.first { $0.operationName == "POST /token" })
        #expect(operations.first?.parentSpanID == request.spanID)
        for operation in operations {
            // On a fresh server each script's first EVALSHA fails with NOSCRIPT and is retried by EVAL: a command span
            // of its own, not counted again as a round trip of the operation (as documented).
            let commands = spans.filter { $0.parentSpanID == operation.spanID }
            let counted = commands.filter { $0.attributes.get("error.type") != .string("NOSCRIPT") }
            #expect(operation.attributes.get("token_family.round_trips") == .int64(Int64(counted.count)), "\(operation.operationName)")
            #expect(counted.isEmpty == (outcome(operation) == "invalid"))  // a malformed token never reaches Redis
            #expect(commands.allSatisfy { $0.attributes.get("db.system") == .string("redis") })
        }
        for span in spans {
            span.attributes.forEach { key, value in
                let rendered = "\(value)"
                #expect(!rendered.contains(grant.refreshToken) && !rendered.contains(next.refreshToken) && !rendered.contains("carol"),
                        "\(span.operationName).\(key)")
            }
        }
        client.shutdown()
        _ = try? await runner.value
        await server.stop()
    }

    private func outcome(_ span: FinishedInMemorySpan) -> String {
        if case .string(let value) = span.attributes.get("token_family.outcome") { return value }
        return "-"
    }
}

private struct TokenTracingFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
