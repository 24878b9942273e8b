// ConnectionThread: the one thread that owns a hiredis context: connects, pipelines writes, reads replies, enforces deadlines.

import ConnectionPool
import CHiredis
import DequeModule
import Glibc
import Logging
import Metrics

/// Drives one `redisContext` from one dedicated thread; nothing else ever touches the context.
///
/// Requests that callers queue while the thread is busy are written together in one batch, so a burst of
/// concurrent commands costs about one round trip (auto-pipelining). The socket is non-blocking and the thread
/// sleeps in `poll` on it and on the mailbox's eventfd, with a timeout at the earliest deadline in flight.
final class ConnectionThread {
    private struct InFlight {
        let command: PendingCommand
        var replies: [RedisReply] = []
    }

    private let mailbox: ConnectionMailbox
    private let configuration: RedisConnectionConfiguration
    private let logger: Logger
    private let commandTimer: Metrics.Timer
    private var context: UnsafeMutablePointer<redisContext>?
    private var inFlight = Deque<InFlight>()
    private var batch: [PendingCommand] = []

    init(mailbox: ConnectionMailbox, configuration: RedisConnectionConfiguration, logger: Logger) {
        self.mailbox = mailbox
        self.configuration = configuration
        self.logger = logger
        self.commandTimer = Metrics.Timer(label: "redis_command_duration")
    }

    /// The thread's body: connect, report the outcome, serve until closed or broken, then clean up.
    func run(reportConnected: (Result<Void, RedisError>) -> Void) {
        Self.blockSIGPIPE()
        do {
            context = try ConnectionHandshake(configuration: configuration).connect()
        } catch {
            finish(with: error)
            reportConnected(.failure(error))
            return
        }
        mailbox.state.withLock(annotatedBy: mailbox) { state in
            // A close asked for while connecting stays in force: `serve` ends once the queue is drained.
            if case .connecting = state.phase { state.phase = .open }
        }
        reportConnected(.success(()))
        let outcome = serve()
        finish(with: outcome)
    }

    /// hiredis 0.14 writes with `write()`, which raises SIGPIPE on a closed socket. The signal is delivered to
    /// the thread that wrote, so blocking it here (and only here) turns it into an EPIPE error without changing
    /// the process-wide disposition the application chose.
    private static func blockSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// The event loop. Returns `nil` after a graceful close, or the error that retired the connection.
    private func serve() -> RedisError? {
        guard let context else { return RedisError(.connectionClosed, "no context") }
        var fds = [
            pollfd(fd: context.pointee.fd, events: 0, revents: 0),
            pollfd(fd: mailbox.wakeupFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            var closing = false
            if chiredis_pending_output(context) == 0 {
                closing = takeQueued()
                for command in batch where command.markWritten() {
                    let status = command.payload.withUnsafeBufferPointer { bytes in
                        bytes.withMemoryRebound(to: CChar.self) {
                            redisAppendFormattedCommand(context, $0.baseAddress, $0.count)
                        }
                    }
                    guard status == REDIS_OK else {
                        command.fail(RedisError(.io, "out of memory appending a command"))
                        return contextError(default: .io)
                    }
                    inFlight.append(InFlight(command: command))
                }
                batch.removeAll(keepingCapacity: true)
            }
            if chiredis_pending_output(context) > 0 {
                var done: Int32 = 0
                if redisBufferWrite(context, &done) == REDIS_ERR { return contextError(default: .io) }
            }
            let hasOutput = chiredis_pending_output(context) > 0
            if closing && !hasOutput && inFlight.isEmpty { return nil }

            let now = ContinuousClock.now
            let earliest = earliestDeadline()
            if let earliest, earliest <= now {
                return RedisError(.commandTimeout, "no reply within the command deadline; the connection was retired "
                    + "because a written command cannot be taken back")
            }
            var timeout: Int32 = -1
            if let earliest {
                let (seconds, attoseconds) = (earliest - now).components
                timeout = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            }
            if !hasOutput && !prepareToSleep() { timeout = 0 }

            fds[0].events = Int16(POLLIN) | (hasOutput ? Int16(POLLOUT) : 0)
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, timeout)
            if ready < 0 && errno != EINTR {
                return RedisError(.io, "poll failed: \(String(cString: strerror(errno)))")
            }
            if fds[1].revents != 0 { mailbox.drainWakeups() }
            if fds[0].revents & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0 {
                if redisBufferRead(context) == REDIS_ERR { return contextError(default: .io) }
                if let error = dispatchReplies(context) { return error }
            }
        }
    }

    /// Moves the queued requests into `batch`; returns whether a graceful close was asked for.
    private func takeQueued() -> Bool {
        mailbox.state.withLock(annotatedBy: mailbox) { state in
            swap(&state.queued, &batch)
            state.threadSleeping = false
            if case .closing = state.phase { return true }
            return false
        }
    }

    /// Announces that the thread is going to sleep; `false` when work arrived meanwhile (then it must not sleep).
    private func prepareToSleep() -> Bool {
        mailbox.state.withLock(annotatedBy: mailbox) { state in
            if !state.queued.isEmpty { return false }
            if case .closing = state.phase { return false }
            state.threadSleeping = true
            return true
        }
    }

    private func earliestDeadline() -> ContinuousClock.Instant? {
        var earliest: ContinuousClock.Instant?
        for entry in inFlight where earliest == nil || entry.command.deadline < earliest! {
            earliest = entry.command.deadline
        }
        return earliest
    }

    /// Hands every complete reply in the reader to the request at the head of the in-flight queue.
    private func dispatchReplies(_ context: UnsafeMutablePointer<redisContext>) -> RedisError? {
        let now = ContinuousClock.now
        while true {
            var raw: UnsafeMutableRawPointer?
            if redisGetReplyFromReader(context, &raw) == REDIS_ERR { return contextError(default: .protocolViolation) }
            guard let raw else { return nil }
            let reply = RedisReply(raw.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(raw)
            guard !inFlight.isEmpty else {
                return RedisError(.protocolViolation, "the server sent a reply nobody asked for: \(reply)")
            }
            if inFlight[0].command.replyCount == 1 {
                let entry = inFlight.removeFirst()
                commandTimer.recordInterval(from: entry.command.issued, to: now)
                entry.command.succeed(reply)
                continue
            }
            inFlight[0].replies.append(reply)
            if inFlight[0].replies.count == inFlight[0].command.replyCount {
                let entry = inFlight.removeFirst()
                commandTimer.recordInterval(from: entry.command.issued, to: now)
                entry.command.succeed(entry.replies)
            }
        }
    }

    private func contextError(default code: RedisError.Code) -> RedisError {
        guard let context else { return RedisError(code, "connection lost") }
        let text = withUnsafeBytes(of: context.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch context.pointee.err {
        case REDIS_ERR_EOF: return RedisError(.io, "the server closed the connection")
        case REDIS_ERR_PROTOCOL: return RedisError(.protocolViolation, "protocol error: \(text)")
        case REDIS_ERR_IO: return RedisError(.io, "I/O error: \(text)")
        default: return RedisError(code, text.isEmpty ? "connection failed" : text)
        }
    }

    /// Frees the context, fails every request still queued or in flight, and runs the close handlers.
    private func finish(with error: RedisError?) {
        if let context { redisFree(context) }
        context = nil
        let (queued, handlers) = mailbox.state.withLock(annotatedBy: mailbox) { state in
            state.phase = .closed(error)
            defer { state.queued = []; state.closeHandlers = [] }
            return (state.queued, state.closeHandlers)
        }
        let failure = error ?? RedisError(.connectionClosed, "the connection was closed")
        for entry in inFlight { entry.command.fail(failure) }
        inFlight.removeAll()
        let closedError = RedisError(.connectionClosed, "the connection was retired before the command was written: "
            + (error?.message ?? "closed"))
        for command in batch + queued { command.fail(closedError) }
        batch.removeAll()
        if let error {
            logger.debug("redis connection retired", metadata: ["error": "\(error)"])
        }
        for handler in handlers { handler(error) }
    }
}

extension Metrics.Timer {
    func recordInterval(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (end - start).components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
