// ConnectionHandshake: resolves, connects and prepares (AUTH, SELECT, CLIENT SETNAME) a context within one deadline.

import CHiredis
import Dispatch
import Foundation
import Glibc
import Synchronization

/// Opens a hiredis context and prepares it, all within the configured connect timeout.
///
/// hiredis resolves host names with a blocking `getaddrinfo` that no timeout bounds, so names are resolved here on
/// a helper thread that is abandoned when the deadline passes, and hiredis is given numeric addresses only.
/// Runs on the connection's own thread, never on Swift's cooperative pool.
struct ConnectionHandshake {
    let configuration: RedisConnectionConfiguration

    func connect() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        let deadline = ContinuousClock.now.advanced(by: configuration.timeouts.connect)
        let context = try open(deadline: deadline)
        do {
            if configuration.tcpKeepAlive, case .tcp = configuration.endpoint { _ = redisEnableKeepAlive(context) }
            try prepare(context, deadline: deadline)
            // From now on the thread drives the socket with poll: make reads and writes non-blocking.
            let flags = fcntl(context.pointee.fd, F_GETFL)
            _ = fcntl(context.pointee.fd, F_SETFL, flags | O_NONBLOCK)
            chiredis_clear_block_flag(context)
            return context
        } catch {
            redisFree(context)
            throw error
        }
    }

    private func open(deadline: ContinuousClock.Instant) throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        switch configuration.endpoint {
        case .unixSocket(let path):
            let context = redisConnectUnixWithTimeout(path, try Self.timeval(until: deadline, what: "connecting"))
            return try check(context, target: "unix://\(path)", deadline: deadline)
        case .tcp(let host, let port):
            var lastError: RedisError?
            for address in try Self.resolve(host: host, deadline: deadline) {
                let context = redisConnectWithTimeout(address, Int32(port), try Self.timeval(until: deadline, what: "connecting"))
                do {
                    return try check(context, target: "\(host):\(port)", deadline: deadline)
                } catch {
                    lastError = error
                }
            }
            throw lastError ?? RedisError(.connectFailed, "\(host) resolved to no address")
        }
    }

    private func check(_ context: UnsafeMutablePointer<redisContext>?, target: String, deadline: ContinuousClock.Instant) throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        guard let context else { throw RedisError(.connectFailed, "cannot allocate a hiredis context") }
        guard context.pointee.err != 0 else { return context }
        let text = Self.errorText(context)
        redisFree(context)
        if ContinuousClock.now >= deadline || text.contains("timed out") {
            throw RedisError(.connectTimeout, "connecting to \(target) took longer than \(configuration.timeouts.connect)")
        }
        throw RedisError(.connectFailed, "cannot connect to \(target): \(text)")
    }

    /// Sends AUTH, SELECT and CLIENT SETNAME in one round trip and checks each reply.
    private func prepare(_ context: UnsafeMutablePointer<redisContext>, deadline: ContinuousClock.Instant) throws(RedisError) {
        var commands: [(RedisCommand, String)] = []
        if let authentication = configuration.authentication {
            if let user = authentication.username {
                commands.append((RedisCommand("AUTH", user, authentication.password), "AUTH as user '\(user)'"))
            } else {
                commands.append((RedisCommand("AUTH", authentication.password), "AUTH"))
            }
        }
        if configuration.database != 0 {
            commands.append((RedisCommand("SELECT", configuration.database), "SELECT \(configuration.database)"))
        }
        if let name = configuration.clientName {
            commands.append((RedisCommand("CLIENT", "SETNAME", name), "CLIENT SETNAME"))
        }
        guard !commands.isEmpty else { return }
        _ = redisSetTimeout(context, try Self.timeval(until: deadline, what: "the handshake"))
        for (command, _) in commands {
            _ = command.encoded.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(context, $0.baseAddress, $0.count) }
            }
        }
        for (_, what) in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                if ContinuousClock.now >= deadline || context.pointee.err == REDIS_ERR_IO && errno == EAGAIN {
                    throw RedisError(.connectTimeout, "the server did not answer \(what) within \(configuration.timeouts.connect)")
                }
                throw RedisError(.connectFailed, "\(what) failed: \(Self.errorText(context))")
            }
            let reply = RedisReply(raw.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(raw)
            guard case .error(let error) = reply else { continue }
            if what.hasPrefix("AUTH") || error.code == "NOAUTH" {
                throw RedisError(.authenticationFailed, "\(what) was refused: \(error.message)", serverError: error)
            }
            throw RedisError(.connectFailed, "\(what) was refused: \(error.message)", serverError: error)
        }
    }

    static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func timeval(until deadline: ContinuousClock.Instant, what: String) throws(RedisError) -> Glibc.timeval {
        let left = deadline - .now
        guard left > .zero else { throw RedisError(.connectTimeout, "the connect timeout ran out before \(what)") }
        let (seconds, attoseconds) = left.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }

    /// Resolves a host name to numeric addresses within the deadline (numeric hosts are returned as they are).
    static func resolve(host: String, deadline: ContinuousClock.Instant) throws(RedisError) -> [String] {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 { return [host] }

        let result = Mutex<Result<[String], RedisError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let lookup = Thread {
            let addresses = Self.getaddrinfo(host)
            result.withLock { $0 = addresses }
            done.signal()
        }
        lookup.name = "redis-resolve"
        lookup.start()
        let left = deadline - .now
        let (seconds, attoseconds) = left.components
        let nanos = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        guard done.wait(timeout: .now() + .nanoseconds(Int(nanos))) == .success, let outcome = result.withLock({ $0 }) else {
            throw RedisError(.connectTimeout, "resolving '\(host)' did not finish within the connect timeout")
        }
        return try outcome.get()
    }

    private static func getaddrinfo(_ host: String) -> Result<[String], RedisError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = Glibc.getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else {
            return .failure(RedisError(.connectFailed, "cannot resolve '\(host)': \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(address) { addresses.append(address) }
            }
            cursor = entry.pointee.ai_next
        }
        return .success(addresses)
    }
}
