// SentinelResolver: finds a Sentinel-watched primary: ask the sentinels in turn, then check the answer with ROLE.

import Logging
import NIOCore
import NIOSSL
import Synchronization

/// Finds the current primary of a deployment watched by Redis Sentinel, as Redis's guidelines for Sentinel clients
/// describe: ask each sentinel in turn `SENTINEL get-master-addr-by-name` (the one that answered last time first),
/// then connect to the address it gives and check with `ROLE` that it is a primary (right after a failover, a
/// sentinel may still name the old one, and a demoted primary comes back as a replica).
final class SentinelResolver: Sendable {
    typealias Endpoint = RedisConnectionConfiguration.Endpoint

    let configuration: RedisSentinelConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    /// The sentinels, the one that answered last first.
    private let order: Mutex<[Endpoint]>

    /// Creates a resolver; `configuration` names at least one sentinel (``RedisURL/parseDeployment(_:)`` ensures it).
    init(configuration: RedisSentinelConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        precondition(!configuration.sentinels.isEmpty, "a Sentinel deployment needs at least one sentinel")
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.order = Mutex(configuration.sentinels)
    }

    /// The sentinels in the order they will be asked.
    var sentinels: [Endpoint] { order.withLock(annotatedBy: self) { $0 } }

    /// The primary's address, as the first sentinel that knows it says, checked with `ROLE` on a connection of its own.
    /// - Parameter sslContext: TLS for sentinels and nodes (``RedisSentinelConfiguration/node``'s), built once by the caller.
    /// - Throws: ``RedisError`` `.noPrimary` naming why each sentinel failed (never a password), or when the named
    ///   node is not (or not yet) a primary.
    func resolvePrimary(sslContext: NIOSSLContext?) async throws(RedisError) -> Endpoint {
        let (address, sentinel) = try await primaryAddress(sslContext: sslContext)
        var node = configuration.node
        node.endpoint = address
        do {
            let connection = try await RedisConnection.connect(
                configuration: node, sslContext: sslContext, eventLoopGroup: eventLoopGroup, logger: logger)
            defer { connection.close() }
            try await Self.checkIsPrimary(connection, at: address, primaryName: configuration.primaryName, namedBy: sentinel)
        } catch where error.code != .noPrimary {
            throw RedisError(.noPrimary, "\(address), named primary of '\(configuration.primaryName)' by \(sentinel), "
                + "does not answer: \(error.code) (\(error.message))")
        }
        return address
    }

    /// The primary's address as the first sentinel that knows it says (not checked), and that sentinel.
    /// - Throws: ``RedisError`` `.noPrimary` naming why each sentinel failed.
    func primaryAddress(sslContext: NIOSSLContext?) async throws(RedisError) -> (Endpoint, Endpoint) {
        var failures: [String] = []
        for sentinel in sentinels {
            do {
                guard let address = try await askSentinel(sentinel, sslContext: sslContext) else {
                    failures.append("\(sentinel): does not know '\(configuration.primaryName)'")
                    continue
                }
                promote(sentinel)
                return (address, sentinel)
            } catch {
                failures.append("\(sentinel): \(error.code) (\(error.message))")
            }
        }
        throw RedisError(.noPrimary, "no sentinel named a primary for '\(configuration.primaryName)': " + failures.joined(separator: "; "))
    }

    /// The primary's address as the sentinel with the newest configuration names it (the highest `config-epoch`
    /// of `SENTINEL MASTER`; all sentinels asked at once), and that sentinel; `nil` when none answers. Where to look
    /// when the address the first sentinel gave does not answer as a primary: right after a failover only the
    /// sentinel that led it knows the new primary, and the others learn it from its hello messages, up to seconds
    /// later. A lagging sentinel still names the old primary with an older epoch, so it never wins.
    func newestAddress(sslContext: NIOSSLContext?) async -> (address: Endpoint, sentinel: Endpoint)? {
        let answers = await withTaskGroup(of: (Int, Endpoint, Endpoint)?.self) { group in
            for sentinel in sentinels {
                group.addTask { try? await self.askWithEpoch(sentinel, sslContext: sslContext) }
            }
            return await group.reduce(into: [(Int, Endpoint, Endpoint)]()) { if let answer = $1 { $0.append(answer) } }
        }
        return answers.max { $0.0 < $1.0 }.map { ($0.1, $0.2) }
    }

    /// Prefers `sentinel` from now on (it knew the primary when the first one did not).
    func prefer(_ sentinel: Endpoint) { promote(sentinel) }

    /// `SENTINEL get-master-addr-by-name` and the `config-epoch` of `SENTINEL MASTER`, from one sentinel.
    private func askWithEpoch(_ sentinel: Endpoint, sslContext: NIOSSLContext?) async throws(RedisError) -> (Int, Endpoint, Endpoint)? {
        let connection = try await RedisConnection.connect(
            configuration: configuration.sentinelConnection(sentinel), sslContext: sslContext,
            eventLoopGroup: eventLoopGroup, logger: logger)
        defer { connection.close() }
        // The epoch first: a switch between the two answers then pairs the new address with the old epoch (which
        // loses), never the old address with the new epoch.
        let master = try await Self.send(RedisCommand("SENTINEL", "MASTER", configuration.primaryName), on: connection)
        let address = try await Self.send(RedisCommand("SENTINEL", "get-master-addr-by-name", configuration.primaryName), on: connection)
        guard let endpoint = try Self.endpoint(address), let fields = master.array else { return nil }
        var epoch: Int?
        for index in stride(from: 0, to: fields.count - 1, by: 2) where fields[index].string == "config-epoch" {
            epoch = fields[index + 1].string.flatMap { Int($0) } ?? fields[index + 1].int
        }
        return epoch.map { ($0, endpoint, sentinel) }
    }

    /// Asks `ROLE` on a connection to the node the sentinel named; throws `.noPrimary` unless it is `master`.
    static func checkIsPrimary(
        _ connection: RedisConnection, at address: Endpoint, primaryName: String, namedBy sentinel: Endpoint
    ) async throws(RedisError) {
        let role = try await send(RedisCommand("ROLE"), on: connection).array?.first?.string
        guard role != "master" else { return }
        throw RedisError(.noPrimary, "\(address), named primary of '\(primaryName)' by \(sentinel), answers ROLE as "
            + "\(role ?? "nothing"): a failover is under way")
    }

    /// Sends a command, any failure as a ``RedisError``.
    private static func send(_ command: RedisCommand, on connection: RedisConnection) async throws(RedisError) -> RedisReply {
        do {
            return try await connection.send(command)
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.connectionClosed, "\(error)")
        }
    }

    /// `SENTINEL get-master-addr-by-name`: the address, or `nil` when this sentinel does not watch the name.
    private func askSentinel(_ sentinel: Endpoint, sslContext: NIOSSLContext?) async throws(RedisError) -> Endpoint? {
        let connection = try await RedisConnection.connect(
            configuration: configuration.sentinelConnection(sentinel), sslContext: sslContext,
            eventLoopGroup: eventLoopGroup, logger: logger)
        defer { connection.close() }
        return try Self.endpoint(try await Self.send(RedisCommand("SENTINEL", "get-master-addr-by-name", configuration.primaryName), on: connection))
    }

    /// A `get-master-addr-by-name` reply as an endpoint; `nil` for a null reply (the name is not watched).
    private static func endpoint(_ reply: RedisReply) throws(RedisError) -> Endpoint? {
        if reply.isNull { return nil }
        guard let parts = reply.array, parts.count == 2, let host = parts[0].string, !host.isEmpty,
              let port = parts[1].int, (1...65535).contains(port)
        else { throw RedisError.unexpectedReply(reply, expected: "[host, port]") }
        return .tcp(host: host, port: port)
    }

    /// Asks `sentinel` first from now on.
    private func promote(_ sentinel: Endpoint) {
        order.withLock(annotatedBy: self) { order in
            guard let index = order.firstIndex(of: sentinel), index > 0 else { return }
            order.insert(order.remove(at: index), at: 0)
        }
    }
}
