// RedisConnection+Tracing: a client span per command or pipeline written, named by its commands, never its arguments.

import Tracing

extension RedisConnection {
    /// The most command names a pipeline's span name lists (then `…`).
    static let namedCommandsPerSpan = 8

    /// The tracer of command spans: the configured one, else the bootstrapped one; `nil` for a no-op tracer, so that
    /// an untraced process pays one `nil` check per command.
    static func commandTracer(_ configured: (any Tracer)?) -> (any Tracer)? {
        let tracer = configured ?? InstrumentationSystem.tracer
        return tracer is NoOpTracer ? nil : tracer
    }

    /// Runs `write` (one command or one pipeline, one round trip) in a client span that is a child of `parent`.
    ///
    /// The span is named by the command (`HGETALL`, `EVALSHA`) or, for a pipeline, by its commands' names in order
    /// (`TIME HGETALL`); its attributes are `db.system` (`redis`), `db.operation` (the same name),
    /// `db.operation.batch.size` (pipelines), `server.address` and `server.port`. An error reply of a single command
    /// and a thrown error set the error status and `error.type` (the reply's first word, such as `NOSCRIPT`, or the
    /// ``RedisError`` code). Arguments, keys and error messages are never recorded: they may hold tokens or user data.
    func traced<Reply>(
        _ tracer: any Tracer,
        parent: InstrumentationContext,
        _ commands: some Collection<RedisCommand>,
        errorReply: (Reply) -> String?,
        _ write: () async throws -> Reply
    ) async throws -> Reply {
        let name = Self.spanName(commands)
        let span = tracer.startSpan(name, context: parent, ofKind: .client)
        let endpoint = configuration.endpoint
        span.updateAttributes { attributes in
            attributes["db.system"] = "redis"
            attributes["db.operation"] = name
            if commands.count > 1 { attributes["db.operation.batch.size"] = commands.count }
            switch endpoint {
            case .tcp(let host, let port):
                attributes["server.address"] = host
                attributes["server.port"] = port
            case .unixSocket(let path):
                attributes["server.address"] = path
                attributes["network.transport"] = "unix"
            }
        }
        defer { span.end() }
        do {
            let reply = try await write()
            if let code = errorReply(reply) { Self.markFailed(span, type: code) }
            return reply
        } catch {
            Self.markFailed(span, type: (error as? RedisError).map { "\($0.code)" } ?? (error is CancellationError ? "cancelled" : "\(type(of: error))"))
            throw error
        }
    }

    /// The first word of an error reply (`NOSCRIPT`, `WRONGTYPE`), `nil` for any other reply.
    static func errorCode(_ reply: RedisReply) -> String? {
        if case .error(let error) = reply { return String(error.code) }
        return nil
    }

    /// `HGETALL`, or `TIME HGETALL` for a pipeline (at most ``namedCommandsPerSpan`` names, then `…`).
    static func spanName(_ commands: some Collection<RedisCommand>) -> String {
        if commands.count == 1, let only = commands.first { return only.name }
        var name = commands.prefix(namedCommandsPerSpan).map(\.name).joined(separator: " ")
        if commands.count > namedCommandsPerSpan { name += " …" }
        return name
    }

    private static func markFailed(_ span: any Span, type: String) {
        span.attributes["error.type"] = type
        span.setStatus(SpanStatus(code: .error))
    }
}
