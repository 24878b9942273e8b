// RedisCommandExecutor: what can run commands (a connection or a pooled client), and the conveniences built on it.

/// Something that runs Redis commands: a ``RedisConnection`` or a ``RedisClient``.
///
/// Conveniences (variadic `send`, `transaction`, scripts) are written once here for both.
public protocol RedisCommandExecutor: Sendable {
    /// Sends one command and waits for its reply; an error reply is thrown as ``RedisError`` `.server`.
    func send(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply
    /// Sends commands in one write, contiguously, and returns every reply (error replies included) in order.
    func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply]
    /// Sends commands in one write, contiguously, followed by `WAIT replicas <ms>` on the same connection: the
    /// replies, and how many replicas confirmed every write the connection made until then (at least `replicas`, or
    /// fewer when `within` ran out). The connection is held until the replicas answer or `within` runs out: keep it
    /// short (the writes are made on the primary either way; only their confirmation is awaited).
    func pipeline(_ commands: [RedisCommand], confirmedBy replicas: Int, within: Duration) async throws -> (replies: [RedisReply], confirmed: Int)
}

extension RedisCommandExecutor {
    /// ``pipeline(_:confirmedBy:within:)`` as one pipeline ending in `WAIT` (for a connection of one's own).
    public func pipeline(_ commands: [RedisCommand], confirmedBy replicas: Int, within: Duration) async throws -> (replies: [RedisReply], confirmed: Int) {
        try Self.splitConfirmation(try await pipeline(commands + [Self.wait(replicas, within)], timeout: nil))
    }

    /// `WAIT replicas milliseconds` (at least 1 ms: 0 would wait forever).
    static func wait(_ replicas: Int, _ within: Duration) -> RedisCommand {
        let (seconds, attoseconds) = within.components
        return RedisCommand("WAIT", replicas, max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    /// The replies before the trailing `WAIT`, and its count.
    static func splitConfirmation(_ replies: [RedisReply]) throws -> (replies: [RedisReply], confirmed: Int) {
        guard let last = replies.last else { throw RedisError.unexpectedReply(.null, expected: "WAIT's count") }
        if case .error(let error) = last { throw RedisError.server(error) }
        guard let confirmed = last.int else { throw RedisError.unexpectedReply(last, expected: "WAIT's count") }
        return (Array(replies.dropLast()), confirmed)
    }

    /// Sends a command given as its name and arguments.
    ///
    /// ```swift
    /// try await redis.send("SET", "key", "value", "PX", 5000)
    /// ```
    /// - Throws: ``RedisError`` (see ``send(_:timeout:)``).
    @discardableResult
    public func send(_ name: String, _ arguments: any RedisArgument...) async throws -> RedisReply {
        try await send(RedisCommand(name, arguments: arguments), timeout: nil)
    }

    /// Sends a command with the configured deadline.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RedisReply {
        try await send(command, timeout: nil)
    }

    /// Sends commands in one write and returns every reply in order.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        try await pipeline(commands, timeout: nil)
    }

    /// Runs commands as one `MULTI … EXEC` transaction in one round trip and returns `EXEC`'s replies.
    ///
    /// The commands are written contiguously, so this is safe on a shared connection. (For optimistic locking
    /// with `WATCH`, take an exclusive connection from the pool.)
    /// - Throws: ``RedisError`` `.server` when Redis refused to queue a command (`EXECABORT`),
    ///   `.transactionAborted` when a watched key changed, or a connection error.
    public func transaction(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RedisReply] {
        let replies = try await pipeline([RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")], timeout: timeout)
        for reply in replies.dropLast() {
            if case .error(let error) = reply { throw RedisError.server(error) }
        }
        switch replies.last {
        case .array(let results): return results
        case .null: throw RedisError(.transactionAborted, "EXEC returned null: a watched key changed")
        case .error(let error): throw RedisError.server(error)
        default: throw RedisError.unexpectedReply(replies.last ?? .null, expected: "EXEC's array")
        }
    }
}
