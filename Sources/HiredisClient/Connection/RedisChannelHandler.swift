// RedisChannelHandler: the event-loop side of a connection: writes queued commands, decodes replies, keeps deadlines.

import DequeModule
import Logging
import Metrics
import NIOCore
import NIOTLS

/// Lives in the channel's pipeline and owns everything that must stay on one thread: the hiredis reader, the
/// commands in flight and the deadline timer.
///
/// Commands queued in the ``ConnectionMailbox`` are written in one buffer and flushed once per drain; while the
/// channel is not writable (the server does not read), they wait here unwritten, so a command cancelled or timed
/// out meanwhile is never sent. Replies are
/// handed to the oldest command in flight. A command that times out (or whose task is cancelled) after it was
/// written stays in flight as a placeholder: its caller has already failed, and its reply is absorbed when it
/// comes. The connection is retired only when it is stuck: a placeholder older than `retireAfter`, or more than
/// `maximumPlaceholders` of them. On retirement the pool's close handler runs before any caller is failed, so an
/// immediate retry never gets the dead connection.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct InFlight {
        let command: PendingCommand
        var replies: [RedisReply] = []
        /// The caller was failed (deadline); the entry only absorbs the reply.
        var abandoned = false
    }

    private let mailbox: ConnectionMailbox
    private let configuration: RedisConnectionConfiguration
    private let logger: Logger
    private let metrics: RedisConnectionMetrics
    private let reader: RESPReader
    private var context: ChannelHandlerContext?
    private var inFlight = Deque<InFlight>()
    private var batch: [PendingCommand] = []
    private var placeholders = 0
    private var closing = false
    private var retired = false
    private var timer: Scheduled<Void>?
    private var timerDeadline: ContinuousClock.Instant?
    /// Set on a subscription's connection: receives published messages, which answer no command.
    var pushReceiver: (@Sendable (RedisReply) -> Void)?

    init(mailbox: ConnectionMailbox, configuration: RedisConnectionConfiguration, metrics: RedisConnectionMetrics, logger: Logger) {
        self.mailbox = mailbox
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.reader = RESPReader(maximumArrayElements: configuration.maximumArrayElements)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    // MARK: - Writing

    /// Writes everything queued in one flush; closes the channel after a graceful close once nothing is left.
    func drain() {
        guard let context, !retired else { return }
        closing = mailbox.takeQueued(appendingTo: &batch) || closing
        guard context.channel.isWritable else {
            var earliest: ContinuousClock.Instant?
            for command in batch where earliest == nil || command.deadline < earliest! { earliest = command.deadline }
            if let earliest { arm(at: earliest) }
            return
        }
        if !batch.isEmpty {
            var size = 0
            for command in batch { size += command.payload.count }
            var buffer = context.channel.allocator.buffer(capacity: size)
            var earliest: ContinuousClock.Instant?
            for command in batch where command.markWritten() {
                buffer.writeBytes(command.payload)
                inFlight.append(InFlight(command: command))
                if earliest == nil || command.deadline < earliest! { earliest = command.deadline }
            }
            batch.removeAll(keepingCapacity: true)
            if buffer.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(buffer), promise: nil) }
            if let earliest, !retired { arm(at: earliest) }
        }
        finishGracefulCloseIfDone()
    }

    /// A graceful close waits for the replies callers still wait for, not for those only placeholders would absorb.
    private func finishGracefulCloseIfDone() {
        if closing, inFlight.count == placeholders, batch.isEmpty, !retired { retire(nil) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drain() }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in try reader.feed(bytes) }
            while !retired, let reply = try reader.next() {
                dispatch(reply)
            }
        } catch let error as RedisError {
            retire(error)
        } catch {
            retire(RedisError(.protocolViolation, "\(error)"))
        }
    }

    /// Hands a reply to the oldest command in flight.
    private func dispatch(_ reply: RedisReply) {
        if let pushReceiver, RedisPubSubMessage.isPush(reply) {
            pushReceiver(reply)
            return
        }
        guard !inFlight.isEmpty else {
            retire(RedisError(.protocolViolation, "the server sent a reply nobody asked for"))
            return
        }
        if inFlight[0].command.replyCount > 1 {
            inFlight[0].replies.append(reply)
            guard inFlight[0].replies.count == inFlight[0].command.replyCount else { return }
        }
        let entry = inFlight.removeFirst()
        if entry.abandoned {
            placeholders -= 1
            mailbox.placeholders.store(placeholders, ordering: .relaxed)
        } else {
            metrics.commandDuration.recordInterval(from: entry.command.issued, to: .now)
            if entry.command.replyCount == 1 {
                entry.command.succeed(reply)
            } else {
                entry.command.succeed(entry.replies)
            }
        }
        finishGracefulCloseIfDone()
    }

    // MARK: - Deadlines

    /// Makes sure the timer fires no later than `deadline`.
    private func arm(at deadline: ContinuousClock.Instant) {
        if let armed = timerDeadline, armed <= deadline { return }
        guard let context else { return }
        timer?.cancel()
        timerDeadline = deadline
        let (seconds, attoseconds) = (deadline - .now).components
        let delay = TimeAmount.nanoseconds(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000) + 1_000_000)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) { loopBound.value.deadlineFired() }
    }

    /// Fails the commands whose deadline passed (they become placeholders) and retires a stuck connection.
    private func deadlineFired() {
        timer = nil
        timerDeadline = nil
        guard !retired else { return }
        let now = ContinuousClock.now
        var next: ContinuousClock.Instant?
        for command in batch {
            if command.deadline <= now {
                command.fail(RedisError(.commandTimeout, "the command could not even be written within its deadline "
                    + "(\(command.timeout)): the server is not reading"))
            } else if next == nil || command.deadline < next! {
                next = command.deadline
            }
        }
        for i in inFlight.indices {
            let deadline = inFlight[i].command.deadline
            var due = deadline
            if inFlight[i].abandoned || deadline <= now {
                if !inFlight[i].abandoned {
                    inFlight[i].abandoned = true
                    placeholders += 1
                    mailbox.placeholders.store(placeholders, ordering: .relaxed)
                    metrics.commandTimeouts.increment()
                    inFlight[i].command.fail(RedisError(.commandTimeout,
                        "no reply within the command deadline (\(inFlight[i].command.timeout)); only this command failed"))
                }
                due = deadline + configuration.timeouts.retireAfter
                if due <= now {
                    retire(RedisError(.commandTimeout, "the server has not answered for "
                        + "\(configuration.timeouts.retireAfter) past a command's deadline: the connection is stuck"))
                    return
                }
            }
            if next == nil || due < next! { next = due }
        }
        metrics.placeholders.record(placeholders)
        if placeholders > configuration.maximumPlaceholders {
            retire(RedisError(.commandTimeout, "more than \(configuration.maximumPlaceholders) commands on this "
                + "connection timed out unanswered: the connection is stuck"))
            return
        }
        finishGracefulCloseIfDone()
        if let next, !retired { arm(at: next) }
    }

    // MARK: - Closing

    func channelInactive(context: ChannelHandlerContext) {
        retire(closing && inFlight.count == placeholders ? nil : RedisError(.io, "the server closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        retire(Self.redisError(error))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            retire(RedisError(.io, "the server closed the connection"))
        } else if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            mailbox.tlsEstablished.store(true, ordering: .relaxed)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Closes the connection for good: the pool hears first, then every caller still waiting fails.
    func retire(_ error: RedisError?) {
        guard !retired else { return }
        retired = true
        timer?.cancel()
        timer = nil
        let (queued, handlers) = mailbox.markClosed(error)
        for handler in handlers { handler(error) }
        if let error {
            metrics.retirements.increment()
            logger.debug("redis connection retired", metadata: ["error": "\(error)"])
        }
        let failure = error ?? RedisError(.connectionClosed, "the connection was closed")
        for entry in inFlight where !entry.abandoned { entry.command.fail(failure) }
        inFlight.removeAll()
        placeholders = 0
        let notWritten = error?.code == .tls ? failure : RedisError(.connectionClosed,
            "the connection was retired before the command was written: " + (error?.message ?? "closed"))
        for command in batch + queued { command.fail(notWritten) }
        batch.removeAll()
        context?.close(promise: nil)
    }

    /// Maps a channel error to the client's error type (TLS failures keep their own code).
    static func redisError(_ error: any Error) -> RedisError {
        if let error = error as? RedisError { return error }
        let type = String(reflecting: Swift.type(of: error))
        if type.hasPrefix("NIOSSL.") { return RedisError(.tls, "TLS failed: \(error)") }
        return RedisError(.io, "I/O error: \(error)")
    }
}

/// The metrics of one connection (shared names, so they add up across connections).
struct RedisConnectionMetrics: Sendable {
    let commandDuration = Metrics.Timer(label: "redis_command_duration")
    let commandTimeouts = Counter(label: "redis_command_timeouts_total")
    let retirements = Counter(label: "redis_connection_retirements_total")
    let placeholders = Recorder(label: "redis_connection_placeholders", aggregate: false)
}

extension Metrics.Timer {
    func recordInterval(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (end - start).components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
