// RedisConnection: one Redis connection on a SwiftNIO channel, used from async code with auto-pipelining.

import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Tracing

/// One connection to Redis: a SwiftNIO channel (TCP, TLS or a Unix socket), with hiredis encoding the commands
/// and decoding the replies.
///
/// No thread is dedicated to it and no call blocks: commands issued concurrently are written together in one flush
/// on the channel's event loop and their replies handed back in order (auto-pipelining), so 64 tasks sharing one
/// connection cost about one round trip, not 64.
///
/// ```swift
/// let connection = try await RedisConnection.connect(configuration: .init(url: "redis://127.0.0.1:6379"))
/// try await connection.send("SET", "greeting", "hello")
/// let greeting = try await connection.send("GET", "greeting").string   // "hello"
/// connection.close()
/// ```
///
/// Failures stay with their caller: an error reply (`WRONGTYPE`…), a missed deadline or a cancelled task fails
/// only that command. An I/O, TLS or protocol error, or a connection stuck past
/// ``RedisConnectionConfiguration/Timeouts/retireAfter``, retires the connection: the close handlers run first,
/// then every command still on it fails with a ``RedisError``.
public final class RedisConnection: Sendable {
    private static let nextID = Atomic<Int>(0)

    /// A number unique in this process, used in logs.
    public let id: Int
    /// The configuration the connection was opened with.
    public let configuration: RedisConnectionConfiguration
    /// The event loop the connection's channel runs on.
    public let eventLoop: any EventLoop
    let mailbox: ConnectionMailbox
    private let channel: any Channel
    private let handler: NIOLoopBound<RedisChannelHandler>
    private let logger: Logger
    /// The tracer of command spans, `nil` when tracing is off (see ``RedisConnectionConfiguration/tracer``).
    let tracer: (any Tracer)?

    private init(
        id: Int,
        configuration: RedisConnectionConfiguration,
        mailbox: ConnectionMailbox,
        channel: any Channel,
        handler: NIOLoopBound<RedisChannelHandler>,
        logger: Logger
    ) {
        self.id = id
        self.configuration = configuration
        self.mailbox = mailbox
        self.channel = channel
        self.eventLoop = channel.eventLoop
        self.handler = handler
        self.logger = logger
        self.tracer = Self.commandTracer(configuration.tracer)
    }

    deinit { close() }

    /// Opens a connection: resolves (off the event loop), connects, sets up TLS and runs the handshake (AUTH,
    /// SELECT, CLIENT SETNAME) within `configuration.timeouts.connect`.
    /// - Parameters:
    ///   - configuration: where and how to connect.
    ///   - eventLoopGroup: where the channel runs; default: NIO's shared group.
    ///   - logger: receives the connection's lifecycle events (never command arguments).
    /// - Throws: ``RedisError`` with code `.connectFailed`, `.connectTimeout`, `.authenticationFailed`, `.tls` or
    ///   `.invalidConfiguration`.
    public static func connect(
        configuration: RedisConnectionConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "redis", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws(RedisError) -> RedisConnection {
        try configuration.validate()
        let tls = try configuration.tls.map { tls throws(RedisError) in try tls.makeContext() }
        return try await connect(configuration: configuration, sslContext: tls, eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Opens a connection with an already built TLS context (a pool builds it once for all its connections), on
    /// `eventLoop` when given, else on the group's next loop.
    static func connect(
        configuration: RedisConnectionConfiguration,
        sslContext: NIOSSLContext?,
        eventLoopGroup: any EventLoopGroup,
        eventLoop: (any EventLoop)? = nil,
        logger: Logger
    ) async throws(RedisError) -> RedisConnection {
        try configuration.validate()
        let deadline = ContinuousClock.now.advanced(by: configuration.timeouts.connect)
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        var logger = logger
        logger[metadataKey: "redis.connection"] = "\(id)"
        let eventLoop = eventLoop ?? eventLoopGroup.next()
        let mailbox = ConnectionMailbox()
        let box = NIOLoopBoundBox<RedisChannelHandler?>.makeEmptyBox(valueType: RedisChannelHandler.self, eventLoop: eventLoop)
        let serverName = try Self.serverName(configuration)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(Self.nanoseconds(configuration.timeouts.connect)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: configuration.tcpKeepAlive ? 1 : 0)
            .channelInitializer { [logger] channel in
                do {
                    if let sslContext {
                        let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    let handler = RedisChannelHandler(
                        mailbox: mailbox, configuration: configuration, metrics: RedisConnectionMetrics(), logger: logger)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    box.value = handler
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let connecting: EventLoopFuture<any Channel>
        switch configuration.endpoint {
        case .tcp(let host, let port):
            connecting = bootstrap.connect(host: host, port: port)
        case .unixSocket(let path):
            connecting = bootstrap.connect(unixDomainSocketPath: path)
        }
        let channel: any Channel
        do {
            channel = try await Self.bounded(connecting, by: deadline, on: eventLoop).get()
        } catch {
            throw Self.connectError(error, configuration: configuration)
        }
        let handler: NIOLoopBound<RedisChannelHandler>
        do {
            handler = try await Self.handler(of: channel, box: box)
        } catch {
            try? await channel.close()
            throw error
        }
        let connection = RedisConnection(
            id: id, configuration: configuration, mailbox: mailbox, channel: channel, handler: handler, logger: logger)
        do {
            try await ConnectionHandshake(configuration: configuration).run(on: connection, deadline: deadline)
        } catch {
            connection.close()
            throw error
        }
        logger.debug("redis connection open", metadata: ["endpoint": "\(configuration.endpoint)"])
        return connection
    }

    /// `connecting`, failed with `ChannelError.connectTimeout` at `deadline` (name resolution included, which NIO's
    /// own connect timeout does not bound); a channel that connects after that is closed.
    private static func bounded(
        _ connecting: EventLoopFuture<any Channel>,
        by deadline: ContinuousClock.Instant,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<any Channel> {
        let promise = eventLoop.makePromise(of: (any Channel).self)
        let timeout = eventLoop.scheduleTask(in: .nanoseconds(max(0, nanoseconds(deadline - .now)))) {
            promise.fail(ChannelError.connectTimeout(.zero))
        }
        connecting.whenComplete { result in
            timeout.cancel()
            switch result {
            case .success(let channel):
                promise.futureResult.whenFailure { _ in channel.close(promise: nil) }
                promise.succeed(channel)
            case .failure(let error):
                promise.fail(error)
            }
        }
        return promise.futureResult
    }

    private static func handler(
        of channel: any Channel,
        box: NIOLoopBoundBox<RedisChannelHandler?>
    ) async throws(RedisError) -> NIOLoopBound<RedisChannelHandler> {
        let result = try? await channel.eventLoop.submit { () throws -> NIOLoopBound<RedisChannelHandler> in
            guard let handler = box.value else { throw RedisError(.connectFailed, "the channel has no Redis handler") }
            return NIOLoopBound(handler, eventLoop: channel.eventLoop)
        }.get()
        guard let result else { throw RedisError(.connectFailed, "the channel closed while connecting") }
        return result
    }

    /// The SNI name: the configured one, else the host when it is a name (an IP address sends none).
    private static func serverName(_ configuration: RedisConnectionConfiguration) throws(RedisError) -> String? {
        guard configuration.tls != nil, case .tcp(let host, _) = configuration.endpoint else { return nil }
        if let name = configuration.tls?.serverName { return name }
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return isAddress ? nil : host
    }

    private static func connectError(_ error: any Error, configuration: RedisConnectionConfiguration) -> RedisError {
        let target = "\(configuration.endpoint)"
        if let error = error as? ChannelError, case .connectTimeout = error {
            return RedisError(.connectTimeout, "connecting to \(target) took longer than \(configuration.timeouts.connect)")
        }
        if let error = error as? RedisError { return error }
        return RedisError(.connectFailed, "cannot connect to \(target): \(error)")
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Commands that timed out and still wait for their reply (placeholders absorb them when they come).
    var placeholderCount: Int { mailbox.placeholders.load(ordering: .relaxed) }

    /// `false` once a close was asked for or happened: the pool replaces the connection instead of reusing it.
    public var isReusable: Bool {
        mailbox.state.withLock(annotatedBy: mailbox) { state in
            if case .open = state.phase { return true }
            return false
        }
    }

    /// The connection's event loop, as an identity: the pool gives this connection first to callers on that loop.
    public var affinity: ObjectIdentifier? { ObjectIdentifier(eventLoop as AnyObject) }

    /// The event loop of the calling thread (`nil` off the loops), as an identity.
    public static var currentAffinity: ObjectIdentifier? {
        MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0 as AnyObject) }
    }

    /// `true` once the connection has closed or been retired; a closed connection is never reopened.
    public var isClosed: Bool { mailbox.isClosed }

    /// Closes gracefully: new commands are refused, commands already issued complete, then the socket closes.
    public func close() {
        if mailbox.requestClose() { scheduleDrain() }
    }

    private func scheduleDrain() {
        let handler = self.handler
        eventLoop.execute { handler.value.drain() }
    }

    private func enqueue(_ pending: PendingCommand) {
        if mailbox.enqueue(pending) { scheduleDrain() }
    }

    /// Registers a handler that runs once when the connection has closed: with `nil` after ``close()``, or with
    /// the ``RedisError`` that retired it. Runs at once if the connection is already closed.
    public func onClose(_ handler: @escaping @Sendable ((any Error)?) -> Void) {
        mailbox.onClose { handler($0) }
    }

    /// Queues encoded commands and waits for their replies, in a client span when the task is traced (see
    /// `RedisConnection+Tracing`). Cancelling the task fails the call at once; a command already written has its reply
    /// absorbed when it comes.
    func submitSingle(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply {
        if let tracer, let parent = InstrumentationContext.current {
            return try await traced(tracer, parent: parent, CollectionOfOne(command), errorReply: Self.errorCode) {
                try await self.writeSingle(command, timeout: timeout)
            }
        }
        return try await writeSingle(command, timeout: timeout)
    }

    private func writeSingle(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply {
        let pending = PendingCommand(payload: command.encoded, replyCount: 1, timeout: timeout ?? configuration.timeouts.command)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                if pending.attach(.single(continuation)) { enqueue(pending) }
            }
        } onCancel: {
            pending.cancel()
        }
    }

    func submitBatch(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        if let tracer, let parent = InstrumentationContext.current {
            return try await traced(tracer, parent: parent, commands, errorReply: { _ in nil }) {
                try await self.writeBatch(commands, timeout: timeout)
            }
        }
        return try await writeBatch(commands, timeout: timeout)
    }

    private func writeBatch(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply] {
        var payload: [UInt8]
        if commands.count == 1 {
            payload = commands[0].encoded  // shared, not copied
        } else {
            payload = []
            payload.reserveCapacity(commands.reduce(0) { $0 + $1.encoded.count })
            for command in commands { payload.append(contentsOf: command.encoded) }
        }
        let pending = PendingCommand(
            payload: payload, replyCount: commands.count, timeout: timeout ?? configuration.timeouts.command)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                if pending.attach(.batch(continuation)) { enqueue(pending) }
            }
        } onCancel: {
            pending.cancel()
        }
    }

    /// Hands published messages (Pub/Sub pushes) to `receiver` instead of to the commands in flight.
    func setPushReceiver(_ receiver: @escaping @Sendable (RedisReply) -> Void) async {
        let handler = self.handler
        try? await channel.eventLoop.submit { handler.value.pushReceiver = receiver }.get()
    }
}

extension RedisConnection: RedisCommandExecutor {
    /// Sends one command and waits for its reply.
    /// - Parameters:
    ///   - command: the command.
    ///   - timeout: overrides the configured command deadline for this command.
    /// - Throws: ``RedisError``: `.server` for an error reply (the connection stays usable); `.commandTimeout`,
    ///   `.io`, `.tls`, `.protocolViolation`, `.connectionClosed` when the connection failed; `CancellationError`
    ///   if the task was cancelled.
    public func send(_ command: RedisCommand, timeout: Duration? = nil) async throws -> RedisReply {
        let reply = try await submitSingle(command, timeout: timeout)
        if case .error(let error) = reply { throw RedisError.server(error) }
        return reply
    }

    /// Sends several commands in one write and returns one reply per command, in order. Error replies are
    /// returned as ``RedisReply/error(_:)`` values, not thrown. No other caller's command is interleaved.
    /// - Throws: ``RedisError`` when the connection fails or the deadline passes; `CancellationError` if cancelled.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RedisReply] {
        try await submitBatch(commands, timeout: timeout)
    }
}
