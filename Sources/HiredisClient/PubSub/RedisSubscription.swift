// RedisSubscription: Pub/Sub on a dedicated connection, as an AsyncSequence, subscribed again after every reconnect.

import ConnectionPool
import Logging
import NIOCore
import Synchronization

/// A message published to a channel the subscription listens to.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published to.
    public var channel: String
    /// The pattern that matched, for pattern subscriptions.
    public var pattern: String?
    /// The payload as published.
    public var payload: [UInt8]

    /// The payload decoded as UTF-8.
    public var string: String { String(decoding: payload, as: UTF8.self) }

    /// Creates a message (for tests and fakes).
    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }
}

/// What a subscription delivers: messages, and a mark each time it is (again) subscribed.
public enum RedisSubscriptionEvent: Sendable, Hashable {
    /// The subscription is in place: the first time, or after a reconnect (`reconnected`), when messages published
    /// while it was down were missed: a consumer that caches state should refresh it then.
    case subscribed(reconnected: Bool)
    /// A published message.
    case message(RedisPubSubMessage)
}

/// Messages of `SUBSCRIBE`d channels and `PSUBSCRIBE`d patterns, on a connection of their own.
///
/// ```swift
/// for try await event in redis.subscribe(to: ["session-events"]) {
///     if case .message(let message) = event { print(message.channel, message.string) }
/// }
/// ```
/// The connection is opened when iteration starts. When it breaks, it is opened again (every
/// `pool.circuitBreaker.probeInterval` at most, while the server is down) and subscribed again, and a
/// ``RedisSubscriptionEvent/subscribed(reconnected:)`` event marks the gap. A `PING` every
/// `pool.timeouts.keepAliveInterval` (30 s; with the command deadline) notices a server that froze or a connection
/// that silently died. Iteration ends when the task is cancelled, the iterator is dropped, or the client shuts down.
/// Messages are buffered without bound: consume them.
public struct RedisSubscription: AsyncSequence, Sendable {
    public typealias Element = RedisSubscriptionEvent

    let client: RedisClient
    let channels: [String]
    let patterns: [String]
    /// Opens the subscription's connection: the client's own server by default (a sentinel, to follow failovers).
    let connect: @Sendable () async throws -> RedisConnection

    init(client: RedisClient, channels: [String], patterns: [String], connect: (@Sendable () async throws -> RedisConnection)? = nil) {
        self.client = client
        self.channels = channels
        self.patterns = patterns
        self.connect = connect ?? { [factory = client.factory, logger = client.logger] in
            try await factory.makeConnection(id: -1, logger: logger)
        }
    }

    public func makeAsyncIterator() -> AsyncStream<RedisSubscriptionEvent>.Iterator {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisSubscriptionEvent.self)
        let worker = Task { [client, channels, patterns] in
            await Self.run(client: client, channels: channels, patterns: patterns, connect: connect, into: continuation)
        }
        continuation.onTermination = { _ in worker.cancel() }
        return stream.makeAsyncIterator()
    }

    /// Connects, subscribes and forwards messages until cancelled, reconnecting after failures.
    private static func run(
        client: RedisClient,
        channels: [String],
        patterns: [String],
        connect: @Sendable () async throws -> RedisConnection,
        into continuation: AsyncStream<RedisSubscriptionEvent>.Continuation
    ) async {
        var reconnected = false
        let pause = client.configuration.pool.circuitBreaker.probeInterval
        while !Task.isCancelled, !client.isShutDown {
            do {
                let connection = try await connect()
                guard client.register(subscription: connection) else {
                    connection.close()
                    break
                }
                defer {
                    client.unregister(subscription: connection)
                    connection.close()
                }
                let closed = ConnectionClosedSignal()
                connection.onClose { _ in closed.fire() }
                await connection.setPushReceiver { reply in
                    if let message = RedisPubSubMessage(reply) { continuation.yield(.message(message)) }
                }
                // One command per channel: each answers exactly one reply, a confirmation or an error.
                let commands = channels.map { RedisCommand("SUBSCRIBE", $0) } + patterns.map { RedisCommand("PSUBSCRIBE", $0) }
                for reply in try await connection.submitBatch(commands, timeout: nil) {
                    if case .error(let error) = reply { throw RedisError.server(error) }
                }
                continuation.yield(.subscribed(reconnected: reconnected))
                reconnected = true
                try await withTaskCancellationHandler {
                    try await Self.keepAlive(connection, until: closed, every: client.configuration.pool.timeouts.keepAliveInterval)
                } onCancel: {
                    connection.close()
                }
            } catch {
                client.logger.debug("redis subscription failed; retrying", metadata: ["error": "\(error)"])
            }
            if Task.isCancelled || client.isShutDown { break }
            reconnected = true
            try? await Task.sleep(for: pause)
        }
        continuation.finish()
    }
}

extension RedisSubscription {
    /// Waits until the connection closes, sending a `PING` every `interval`; a missing answer closes the connection.
    fileprivate static func keepAlive(_ connection: RedisConnection, until closed: ConnectionClosedSignal, every interval: Duration?) async throws {
        guard let interval else {
            await closed.wait()
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await closed.wait() }
            group.addTask {
                while true {
                    try await Task.sleep(for: interval)
                    do {
                        _ = try await connection.submitBatch([RedisCommand("PING")], timeout: nil)
                    } catch {
                        connection.close()
                        throw error
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

extension RedisPubSubMessage {
    /// Reads a `message` (`[message, channel, payload]`) or `pmessage` (`[pmessage, pattern, channel, payload]`) push.
    init?(_ reply: RedisReply) {
        guard case .array(let items) = reply, let kind = items.first?.string else { return nil }
        switch (kind, items.count) {
        case ("message", 3):
            guard let channel = items[1].string, let payload = items[2].bytes else { return nil }
            self.init(channel: channel, pattern: nil, payload: payload)
        case ("pmessage", 4):
            guard let pattern = items[1].string, let channel = items[2].string, let payload = items[3].bytes else { return nil }
            self.init(channel: channel, pattern: pattern, payload: payload)
        default:
            return nil
        }
    }

    /// Whether `reply` is a published message rather than the reply to a command.
    static func isPush(_ reply: RedisReply) -> Bool {
        guard case .array(let items) = reply, items.count >= 3, case .bulk(let kind) = items[0] else { return false }
        return kind == Array("message".utf8) || kind == Array("pmessage".utf8)
    }
}

/// Resumes whoever waits once the connection has closed (at once if it already has).
private final class ConnectionClosedSignal: Sendable {
    private let state = Mutex<(fired: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func fire() {
        let waiter = state.withLock(annotatedBy: self) { state -> CheckedContinuation<Void, Never>? in
            state.fired = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock(annotatedBy: self) { state -> Bool in
                if state.fired { return true }
                state.waiter = continuation
                return false
            }
            if fired { continuation.resume() }
        }
    }
}
