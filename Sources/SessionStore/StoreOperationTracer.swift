// StoreOperationTracer: runs one store operation in a span that records its operation, outcome and round trips.

import Tracing

/// Runs store operations in spans named `<namespace>.<operation>` (`session.load`, `token_family.refresh`), children of
/// the task's current context (under Hummingbird's `TracingMiddleware`, the request's span), with the attributes
/// `<namespace>.operation`, `<namespace>.outcome` and `<namespace>.round_trips`; a failed operation also gets the
/// error status and `error.type` (its outcome). Never a token; the user name only when `recordsUsers`.
///
/// With a no-op tracer it runs the operation directly: no span, no task-local, no allocation.
package struct StoreOperationTracer: Sendable {
    /// `nil` when the tracer is a no-op.
    let tracer: (any Tracer)?
    let namespace: String
    let recordsUsers: Bool
    private let operationKey: String
    private let outcomeKey: String
    private let roundTripsKey: String

    /// The attribute that carries the user name when ``recordsUsers`` is set (OpenTelemetry's `enduser.id`).
    package static let userKey = "enduser.id"

    /// Creates the tracer of one store.
    package init(tracer: any Tracer, namespace: String, recordsUsers: Bool) {
        self.tracer = tracer is NoOpTracer ? nil : tracer
        self.namespace = namespace
        self.recordsUsers = recordsUsers
        operationKey = "\(namespace).operation"
        outcomeKey = "\(namespace).outcome"
        roundTripsKey = "\(namespace).round_trips"
        if self.tracer != nil { SessionStoreTracing.activate() }
    }

    /// Runs `body` in the operation's span.
    /// - Parameters:
    ///   - operation: the operation's name (`load`).
    ///   - user: the user the operation is about, when known before it runs (recorded only with ``recordsUsers``).
    ///   - outcome: the outcome of a success when the store reported none (default `ok`).
    ///   - userOf: the user a success reveals (a loaded session's).
    ///   - attributes: more attributes (never secrets).
    package func run<Value>(
        _ operation: String,
        user: String? = nil,
        outcome: (Value) -> String? = { _ in nil },
        userOf: (Value) -> String? = { _ in nil },
        attributes: (inout SpanAttributes) -> Void = { _ in },
        _ body: () async throws(SessionStoreError) -> Value
    ) async throws(SessionStoreError) -> Value {
        guard let tracer else { return try await body() }
        let span = tracer.startSpan("\(namespace).\(operation)", context: InstrumentationContext.current ?? .topLevel, ofKind: .internal)
        let record = OperationRecord()
        let result = await InstrumentationContext.$current.withValue(span.context) {
            await SessionStoreTracing.$current.withValue(record) { () async -> Result<Value, SessionStoreError> in
                do throws(SessionStoreError) {
                    return .success(try await body())
                } catch {
                    return .failure(error)
                }
            }
        }
        span.updateAttributes { span in
            span[operationKey] = operation
            span[roundTripsKey] = record.roundTrips.load(ordering: .relaxed)
            switch result {
            case .success(let value):
                span[outcomeKey] = record.outcome.withLock { $0 } ?? outcome(value) ?? "ok"
                if recordsUsers, let user = user ?? userOf(value) { span[Self.userKey] = user }
            case .failure(let error):
                span[outcomeKey] = error.code.outcome
                span["error.type"] = error.code.outcome
                if recordsUsers, let user { span[Self.userKey] = user }
            }
            attributes(&span)
        }
        if case .failure = result { span.setStatus(SpanStatus(code: .error)) }
        span.end()
        return try result.get()
    }
}
