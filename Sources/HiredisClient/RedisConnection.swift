// RedisConnection: one hiredis connection, driven by its own thread, used from async code with auto-pipelining.

import CHiredis
import Foundation
import Logging
import Synchronization

/// One connection to Redis.
///
/// The hiredis context lives on a dedicated thread, so no blocking call ever runs on Swift's cooperative
/// thread pool. Commands issued concurrently are written together and their replies handed back in order
/// (auto-pipelining): 64 tasks sharing one connection cost about one round trip, not 64.
///
/// ```swift
/// let connection = try await RedisConnection.connect(configuration: .init(url: "redis://127.0.0.1:6379"))
/// try await connection.send("SET", "greeting", "hello")
/// let greeting = try await connection.send("GET", "greeting").string   // "hello"
/// connection.close()
/// ```
///
/// An I/O or protocol error, or a missed deadline, retires the connection: every command on it fails with a
/// ``RedisError`` and the close handlers run. Error replies (`WRONGTYPE`, …) only fail their own command.
public final class RedisConnection: Sendable {
    private static let nextID = Atomic<Int>(0)

    /// A number unique in this process, used in logs and as the thread's name.
    public let id: Int
    /// The configuration the connection was opened with.
    public let configuration: RedisConnectionConfiguration
    private let mailbox: ConnectionMailbox
    private let logger: Logger

    private init(id: Int, configuration: RedisConnectionConfiguration, mailbox: ConnectionMailbox, logger: Logger) {
        self.id = id
        self.configuration = configuration
        self.mailbox = mailbox
        self.logger = logger
    }

    deinit { mailbox.requestClose() }

    /// Opens a connection: resolves, connects and runs the handshake (AUTH, SELECT, CLIENT SETNAME) within
    /// `configuration.timeouts.connect`.
    /// - Parameters:
    ///   - configuration: where and how to connect.
    ///   - logger: receives the connection's lifecycle events (never command arguments).
    /// - Throws: ``RedisError`` with code `.connectFailed`, `.connectTimeout`, `.authenticationFailed` or
    ///   `.invalidConfiguration`.
    public static func connect(
        configuration: RedisConnectionConfiguration,
        logger: Logger = Logger(label: "redis", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws(RedisError) -> RedisConnection {
        try configuration.validate()
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        var logger = logger
        logger[metadataKey: "redis.connection"] = "\(id)"
        let mailbox = try ConnectionMailbox()
        let result: Result<Void, RedisError> = await withCheckedContinuation { [logger] continuation in
            // Linux keeps at most 15 bytes of a thread name; Foundation's `Thread.name` does not reach the kernel's.
            let name = String("redis-conn-\(id)".prefix(15))
            let thread = Thread {
                chiredis_name_current_thread(name)
                // The worker is created on, and never leaves, its own thread.
                let worker = ConnectionThread(mailbox: mailbox, configuration: configuration, logger: logger)
                worker.run { continuation.resume(returning: $0) }
            }
            thread.name = name
            thread.start()
        }
        try result.get()
        logger.debug("redis connection open", metadata: ["endpoint": "\(configuration.endpoint)"])
        return RedisConnection(id: id, configuration: configuration, mailbox: mailbox, logger: logger)
    }

    /// `true` once the connection has closed or been retired; a closed connection is never reopened.
    public var isClosed: Bool { mailbox.isClosed }

    /// Closes gracefully: new commands are refused, commands already issued complete, then the socket closes.
    public func close() {
        mailbox.requestClose()
    }

    /// Registers a handler that runs once when the connection has closed: with `nil` after ``close()``, or with
    /// the ``RedisError`` that retired it. Runs at once if the connection is already closed.
    public func onClose(_ handler: @escaping @Sendable ((any Error)?) -> Void) {
        mailbox.onClose { handler($0) }
    }

    /// Queues encoded commands and waits for their replies. Cancelling the task removes the request if it has
    /// not been written yet; once written, it cannot be taken back and the call waits for its replies.
    func submitSingle(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply {
        let pending = PendingCommand(payload: command.encoded, replyCount: 1, timeout: timeout ?? configuration.timeouts.command)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                if pending.attach(.single(continuation)) { mailbox.enqueue(pending) }
            }
        } onCancel: {
            pending.cancel()
        }
    }

    func submitBatch(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        var payload: [UInt8] = []
        payload.reserveCapacity(commands.reduce(0) { $0 + $1.encoded.count })
        for command in commands { payload.append(contentsOf: command.encoded) }
        let pending = PendingCommand(payload: payload, replyCount: commands.count, timeout: timeout ?? configuration.timeouts.command)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                if pending.attach(.batch(continuation)) { mailbox.enqueue(pending) }
            }
        } onCancel: {
            pending.cancel()
        }
    }
}

extension RedisConnection: RedisCommandExecutor {
    /// Sends one command and waits for its reply.
    /// - Parameters:
    ///   - command: the command.
    ///   - timeout: overrides the configured command deadline for this command.
    /// - Throws: ``RedisError``: `.server` for an error reply (the connection stays usable); `.commandTimeout`,
    ///   `.io`, `.protocolViolation`, `.connectionClosed` when the connection failed; `CancellationError` if the
    ///   task was cancelled before the command was written.
    public func send(_ command: RedisCommand, timeout: Duration? = nil) async throws -> RedisReply {
        let reply = try await submitSingle(command, timeout: timeout)
        if case .error(let error) = reply { throw RedisError.server(error) }
        return reply
    }

    /// Sends several commands in one write and returns one reply per command, in order. Error replies are
    /// returned as ``RedisReply/error(_:)`` values, not thrown. No other caller's command is interleaved.
    /// - Throws: ``RedisError`` when the connection fails; `CancellationError` if cancelled before writing.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RedisReply] {
        try await submitBatch(commands, timeout: timeout)
    }
}
