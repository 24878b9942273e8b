// RedisCommandExecutor: what can run commands (a connection or a pooled client), and the conveniences built on it.

/// Something that runs Redis commands: a ``RedisConnection`` or a ``RedisClient``.
///
/// Conveniences (variadic `send`, `transaction`, scripts) are written once here for both.
public protocol RedisCommandExecutor: Sendable {
    /// Sends one command and waits for its reply; an error reply is thrown as ``RedisError`` `.server`.
    func send(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply
    /// Sends commands in one write, contiguously, and returns every reply (error replies included) in order.
    func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply]
}

extension RedisCommandExecutor {
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
