// A hand-advanced instant and clock for driving the state machine without sleeping.
@testable import ConnectionPool

/// An instant that is just an offset from an arbitrary origin; tests move time by hand.
struct TestInstant: InstantProtocol, CustomStringConvertible {
    var offset: Duration

    static let origin = TestInstant(offset: .zero)

    func advanced(by duration: Duration) -> TestInstant {
        TestInstant(offset: offset + duration)
    }

    func duration(to other: TestInstant) -> Duration {
        other.offset - offset
    }

    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool {
        lhs.offset < rhs.offset
    }

    var description: String { "t+\(offset)" }
}

/// A clock that only moves when a test says so.
struct TestClock {
    private(set) var now = TestInstant.origin

    mutating func advance(by duration: Duration) {
        now = now.advanced(by: duration)
    }

    mutating func advance(to instant: TestInstant) {
        precondition(instant >= now, "time never goes back")
        now = instant
    }

    /// Time since the origin, for comparing deadlines.
    func at(_ offset: Duration) -> TestInstant {
        TestInstant.origin.advanced(by: offset)
    }
}

/// A stand-in for a connection in state machine tests.
struct TestConnection: Hashable, Sendable {
    let id: Int
}

/// Error used for failed connection attempts and broken connections.
struct TestError: Error, Hashable, CustomStringConvertible {
    var text = "connection refused"
    var description: String { text }
}

typealias TestMachine = PoolStateMachine<TestConnection, String, TestInstant>

/// A state machine with deterministic jitter (0.5 = none) and optional configuration changes.
func makeMachine(
    jitter: Double = 0.5,
    _ configure: (inout ConnectionPoolConfiguration) -> Void = { _ in }
) -> TestMachine {
    var configuration = ConnectionPoolConfiguration()
    configure(&configuration)
    return TestMachine(configuration: configuration, randomUnit: { jitter })
}

extension TestMachine {
    /// Opens the connection of `slotID` now and returns the resulting actions.
    mutating func open(_ slotID: Int, at now: TestInstant) -> Actions {
        connectSucceeded(slotID: slotID, connection: TestConnection(id: slotID), now: now)
    }

    /// Leases shared and returns the slot id, or nil when the request must wait or fails.
    mutating func sharedSlot(at now: TestInstant) -> Int? {
        if case .leased(let lease, _) = leaseShared(now: now) { return lease.slotID }
        return nil
    }

    /// Leases exclusively and returns the slot id, or nil when the request must wait or fails.
    mutating func exclusiveSlot(at now: TestInstant) -> Int? {
        if case .leased(let lease, _) = leaseExclusive(now: now) { return lease.slotID }
        return nil
    }
}

extension PoolStateMachine.Actions where Request == String {
    /// Requests served, as "request@slot".
    var served: [String] {
        serve.map { "\($0.request)@\($0.lease.slotID)" }
    }

    /// Requests failed.
    var failed: [String] {
        fail.map(\.request)
    }

    /// Errors of failed requests, as pool errors.
    var failures: [ConnectionPoolError] {
        fail.compactMap { $0.error as? ConnectionPoolError }
    }

    /// Slot ids of connections to close.
    var closed: [Int] {
        close.map(\.slotID)
    }
}
