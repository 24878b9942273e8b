// EventLoopAffineChildChannel: runs each HTTP connection's handler task on the connection's own event loop.

import HiredisClient
import HummingbirdCore
import Logging
import NIOCore

/// Wraps Hummingbird's HTTP/1 child channel so that the task serving a connection prefers the connection's event
/// loop as its executor. The Redis client's connections run on the same loops, and the pool hands a task a Redis
/// connection of its own loop first: reading the request, the Redis round trip and writing the response then stay
/// on one thread, with no hop to Swift's global executor and back. Handlers must never block (none here does).
struct EventLoopAffineChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with every connection's handler on the connection's event loop (see ``EventLoopAffineChildChannel``).
    static func http1OnEventLoops(configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        .init { responder in
            EventLoopAffineChildChannel(base: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}
