// RedisScript: a Lua script run by EVALSHA, falling back to EVAL when the server answers NOSCRIPT.

import Crypto

/// A Lua script identified by its SHA-1.
///
/// ```swift
/// let incrementBy = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
/// let value = try await redis.run(incrementBy, keys: ["counter"], arguments: [5]).int
/// ```
/// Scripts run with `EVALSHA`; after a restart or failover the server no longer knows the script and answers
/// `NOSCRIPT`, and the call transparently retries once with `EVAL`, which also loads it again.
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// The SHA-1 of the source, in lowercase hex, as `SCRIPT LOAD` reports it.
    public let sha1: String

    /// Creates a script from its Lua source.
    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    public static func == (lhs: RedisScript, rhs: RedisScript) -> Bool { lhs.sha1 == rhs.sha1 }

    public func hash(into hasher: inout Hasher) { hasher.combine(sha1) }

    /// The `EVALSHA` command for these keys and arguments.
    public func evalSHA(keys: [any RedisArgument], arguments: [any RedisArgument]) -> RedisCommand {
        RedisCommand("EVALSHA", arguments: [sha1, keys.count] + keys + arguments)
    }

    /// The `EVAL` command (sends the whole source) for these keys and arguments.
    public func eval(keys: [any RedisArgument], arguments: [any RedisArgument]) -> RedisCommand {
        RedisCommand("EVAL", arguments: [source, keys.count] + keys + arguments)
    }
}

extension RedisCommandExecutor {
    /// Runs a script by `EVALSHA`, retrying once with `EVAL` when the server answers `NOSCRIPT`.
    /// - Parameters:
    ///   - script: the script.
    ///   - keys: its `KEYS` (all in one hash slot for Redis Cluster).
    ///   - arguments: its `ARGV`.
    ///   - timeout: overrides the command deadline.
    /// - Throws: ``RedisError`` `.server` for an error the script raised, or a connection error.
    @discardableResult
    public func run(
        _ script: RedisScript,
        keys: [any RedisArgument] = [],
        arguments: [any RedisArgument] = [],
        timeout: Duration? = nil
    ) async throws -> RedisReply {
        do {
            return try await send(script.evalSHA(keys: keys, arguments: arguments), timeout: timeout)
        } catch let error as RedisError where error.serverError?.code == "NOSCRIPT" {
            return try await send(script.eval(keys: keys, arguments: arguments), timeout: timeout)
        }
    }

    /// Runs a script like ``run(_:keys:arguments:timeout:)`` and then waits until `replicas` replicas confirm its
    /// writes (see ``RedisCommandExecutor/pipeline(_:confirmedBy:within:)``): the reply, and how many confirmed.
    /// - Throws: ``RedisError`` `.server` for an error the script raised, or a connection error.
    public func run(
        _ script: RedisScript,
        keys: [any RedisArgument] = [],
        arguments: [any RedisArgument] = [],
        confirmedBy replicas: Int,
        within: Duration
    ) async throws -> (reply: RedisReply, confirmed: Int) {
        var (replies, confirmed) = try await pipeline([script.evalSHA(keys: keys, arguments: arguments)], confirmedBy: replicas, within: within)
        if case .error(let error) = replies.first, error.code == "NOSCRIPT" {
            (replies, confirmed) = try await pipeline([script.eval(keys: keys, arguments: arguments)], confirmedBy: replicas, within: within)
        }
        guard let reply = replies.first else { throw RedisError.unexpectedReply(.null, expected: "the script's reply") }
        if case .error(let error) = reply { throw RedisError.server(error) }
        return (reply, confirmed)
    }
}
