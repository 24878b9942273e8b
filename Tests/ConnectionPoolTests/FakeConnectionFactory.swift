// A controllable in-memory ConnectionFactory for runner tests: failures, keep-alive outcomes, counts.
import Logging
import Synchronization
@testable import ConnectionPool

/// Makes ``FakeConnection``s; tests switch failures on and off and read what happened.
final class FakeConnectionFactory: ConnectionFactory {
    private struct State {
        var connectError: (any Error)?
        var keepAliveError: (any Error)?
        var connections: [FakeConnection] = []
        var attempts = 0
        var keepAlives = 0
    }

    private let state = Mutex(State())
    let connectDelay: Duration

    init(connectDelay: Duration = .zero) {
        self.connectDelay = connectDelay
    }

    func makeConnection(id: Int, logger: Logger) async throws -> FakeConnection {
        if connectDelay > .zero {
            try await Task.sleep(for: connectDelay)
        }
        let outcome = state.withLock(annotatedBy: self) { state -> Result<FakeConnection, any Error> in
            state.attempts += 1
            if let error = state.connectError { return .failure(error) }
            let connection = FakeConnection(id: id)
            state.connections.append(connection)
            return .success(connection)
        }
        return try outcome.get()
    }

    func keepAlive(_ connection: FakeConnection, logger: Logger) async throws {
        let failure = state.withLock(annotatedBy: self) { state -> (any Error)? in
            state.keepAlives += 1
            return state.keepAliveError
        }
        if let failure { throw failure }
    }

    /// Makes every following connection attempt fail with `error` (or succeed again with `nil`).
    func failConnects(with error: (any Error)?) {
        state.withLock(annotatedBy: self) { $0.connectError = error }
    }

    /// Makes every following keep-alive check fail with `error` (or succeed again with `nil`).
    func failKeepAlives(with error: (any Error)?) {
        state.withLock(annotatedBy: self) { $0.keepAliveError = error }
    }

    var connections: [FakeConnection] { state.withLock(annotatedBy: self) { $0.connections } }
    var attempts: Int { state.withLock(annotatedBy: self) { $0.attempts } }
    var keepAlives: Int { state.withLock(annotatedBy: self) { $0.keepAlives } }
}

/// A logger that prints nothing.
let quietLogger = Logger(label: "pool-tests") { _ in SwiftLogNoOpLogHandler() }

/// Runs `body` with a running pool, then shuts the pool down gracefully and waits for run() to return.
func withPool<R: Sendable>(
    _ configuration: ConnectionPoolConfiguration,
    factory: FakeConnectionFactory = FakeConnectionFactory(),
    _ body: (ConnectionPool<FakeConnectionFactory>) async throws -> R
) async throws -> R {
    let pool = ConnectionPool(configuration: configuration, factory: factory, logger: quietLogger) { 0.5 }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await pool.run() }
        let result = try await body(pool)
        pool.shutdown()
        try await group.waitForAll()
        return result
    }
}

/// Polls `condition` every millisecond for up to `limit`; returns whether it became true.
func eventually(within limit: Duration = .seconds(3), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: limit)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return await condition()
}

/// A settable flag shared between tasks.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}

/// A one-shot gate: any number of tasks wait until the test opens it.
final class Gate: Sendable {
    private struct State {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func open() {
        let waiters = state.withLock(annotatedBy: self) { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock(annotatedBy: self) { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
