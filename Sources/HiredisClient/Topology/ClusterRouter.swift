// ClusterRouter: a RedisClient's commands over a Redis Cluster: a client per primary, routed by hash slot.

import ConnectionPool
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Routes commands and pipelines over a Redis Cluster.
///
/// - **Discovery:** the slot map from `CLUSTER SHARDS` (`CLUSTER SLOTS` before Redis 7) and the key positions of every
///   command from `COMMAND`, asked of the known primaries, then the seeds, in turn. One refresh runs at a time and
///   every caller that needs one waits for it; refreshes are at least ``minimumRefreshInterval`` apart.
/// - **Routing:** each command goes to the primary of its keys' slot (a pooled ``RedisClient`` per primary, so each
///   node gets shared, auto-pipelined connections); keyless commands go to any primary; keys in different slots
///   are refused before anything is sent.
/// - **Redirections:** `MOVED` updates the slot and schedules a refresh, then the command runs on the named node;
///   `ASK` runs it once on the named node after `ASKING` (in one contiguous batch on one connection); `TRYAGAIN`,
///   `CLUSTERDOWN` and failures to get a connection (nothing was sent) are retried with a growing pause and a
///   refresh, within the command's deadline. Replica reads are off: every command goes to a primary.
final class ClusterRouter: Sendable {
    typealias Endpoint = RedisConnectionConfiguration.Endpoint

    /// The shortest time between two refreshes of the slot map.
    static let minimumRefreshInterval: Duration = .milliseconds(100)
    /// How long a node must be missing from the slot map's primaries before its client is shut down: long enough
    /// that a map read from a lagging node, or a slotless node taking a migration (named by `ASK`), keeps its pool.
    static let retirementDelay: Duration = .seconds(2)
    /// The most redirections one command follows.
    static let maximumRedirections = 8

    private struct State {
        var map: ClusterSlotMap?
        var keySpecs: CommandKeySpecs?
        var nodes: [Endpoint: RedisClient] = [:]
        var refresh: Task<Void, any Error>?
        /// Counts refreshes, so that a finished one clears only itself.
        var refreshGeneration = 0
        var lastRefresh: ContinuousClock.Instant?
        /// Node clients whose node was not a primary in the slot map, and since when (see ``retirementDelay``).
        var missingSince: [Endpoint: ContinuousClock.Instant] = [:]
        /// A task checks again once ``retirementDelay`` has passed.
        var retirementCheckScheduled = false
        var shutDown = false
    }

    private let cluster: RedisClusterConfiguration
    private let pool: ConnectionPoolConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())
    /// Commands sent to each node so far (redirected ones counted again where they went).
    private let sent = Mutex<[Endpoint: Int]>([:])
    /// Redirections followed so far: `MOVED` and `ASK` replies, and `TRYAGAIN`/`CLUSTERDOWN` retries.
    private let redirected = Mutex<[String: Int]>([:])
    /// New node clients, for ``run()`` to run.
    private let started: AsyncStream<RedisClient>.Continuation
    private let toRun: AsyncStream<RedisClient>

    init(cluster: RedisClusterConfiguration, pool: ConnectionPoolConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        precondition(!cluster.seeds.isEmpty, "a cluster needs at least one seed node")
        self.cluster = cluster
        self.pool = pool
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        (toRun, started) = AsyncStream.makeStream(of: RedisClient.self)
    }

    /// Runs every node client until ``shutdown()``: discovers the cluster first (a failure is retried on demand).
    func run() async throws {
        do {
            try await refresh()
        } catch {
            logger.warning("cluster discovery failed; retrying when a command needs it", metadata: ["error": "\(error)"])
        }
        // The node clients stop on the service group's graceful shutdown by themselves; the loop that starts them
        // must end too.
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for await client in toRun {
                    group.addTask { try await client.run() }
                }
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
    }

    /// Shuts every node client down; commands in flight finish.
    func shutdown() {
        let nodes = state.withLock(annotatedBy: self) { state -> [RedisClient] in
            state.shutDown = true
            state.refresh?.cancel()
            return Array(state.nodes.values)
        }
        nodes.forEach { $0.shutdown() }
        started.finish()
    }

    private var isShutDown: Bool { state.withLock(annotatedBy: self) { $0.shutDown } }

    /// The client of every primary in the slot map (discovering the cluster first when needed).
    func primaryClients() async throws -> [Endpoint: RedisClient] {
        let map = try await slotMap()
        var clients: [Endpoint: RedisClient] = [:]
        for primary in map.primaries { clients[primary] = try node(primary) }
        return clients
    }

    /// A connection of its own to the first node that takes one: the primaries known now, then the seeds. For
    /// Pub/Sub: a cluster delivers every `PUBLISH` to every node, so any node will do, and a reconnect after that
    /// node failed goes to another.
    func connectToAnyNode(logger: Logger) async throws -> RedisConnection {
        let known = state.withLock(annotatedBy: self) { $0.map?.primaries ?? [] }
        var failures: [String] = []
        var seen = Set<Endpoint>()
        for endpoint in known + cluster.seeds where seen.insert(endpoint).inserted {
            do {
                return try await RedisConnection.connect(configuration: cluster.nodeConnection(endpoint), eventLoopGroup: eventLoopGroup, logger: logger)
            } catch {
                failures.append("\(endpoint): \(error)")
            }
        }
        throw RedisError(.noPrimary, "no cluster node took a connection: " + failures.joined(separator: "; "))
    }

    /// The nodes that have a client now (the primaries, and nodes not yet retired).
    var nodesWithClients: Set<Endpoint> { state.withLock(annotatedBy: self) { Set($0.nodes.keys) } }

    /// Commands sent to each node so far.
    var commandCounts: [Endpoint: Int] { sent.withLock(annotatedBy: self) { $0 } }

    /// Redirections and retries followed so far, by reply: `MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`.
    var redirectionCounts: [String: Int] { redirected.withLock(annotatedBy: self) { $0 } }

    // MARK: Routing

    func send(_ command: RedisCommand, timeout: Duration?) async throws -> RedisReply {
        try await send(command, timeout: timeout, askingFirst: nil)
    }

    /// Sends one command on the node of its slot, or first on `askingFirst` after `ASKING` (an `ASK` already met).
    private func send(_ command: RedisCommand, timeout: Duration?, askingFirst: Endpoint?) async throws -> RedisReply {
        let slot = try await keySpecs().slot(of: command)
        return try await routed(slot: slot, timeout: timeout, askingFirst: askingFirst) { client, _, remaining, asking in
            guard asking else { return try await client.send(command, timeout: remaining) }
            let replies = try await client.pipelineUnchecked([RedisCommand("ASKING"), command], timeout: remaining)
            if case .error(let error) = replies[1] { throw RedisError.server(error) }
            return replies[1]
        }
    }

    /// Runs the pipeline on the node of its keys; keyless commands go with the keyed ones. A pipeline whose keys span
    /// nodes is split into one batch per node (run concurrently, replies put back in order), unless it holds a
    /// `MULTI`, which must stay on one slot. A command answered with a redirection (or `TRYAGAIN`, `CLUSTERDOWN`) did
    /// not run: it alone runs again, on the node named, in the pipeline's order; the others are never sent twice.
    func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RedisReply] {
        let specs = try await keySpecs()
        var slots: [RedisHashSlot?] = []
        for command in commands { slots.append(try specs.slot(of: command)) }
        let keyed = Set(slots.compactMap { $0 })
        if commands.contains(where: { $0.isNamed("MULTI") }) {
            guard keyed.count <= 1 else {
                throw RedisError(.notAllowedHere, "a transaction's keys hash to different slots; a cluster runs MULTI … EXEC on one slot only")
            }
            // A transaction is all or nothing (a redirected command makes EXEC abort): it may run again whole.
            return try await routedTransaction(commands, slot: keyed.first, timeout: timeout)
        }
        if keyed.count <= 1 {
            return try await routedBatch(commands, slots: slots, timeout: timeout)
        }
        // Group by the node that serves each slot now; keyless commands join the first keyed command's node, and a
        // slot nobody claims yet goes with it too (its redirection or error reply is then handled one by one).
        let map = try await slotMap()
        var groups: [Endpoint: [Int]] = [:]
        var order: [Endpoint] = []
        let firstKeyed = slots.compactMap { $0 }.first!
        guard let fallback = map.primary(for: firstKeyed) ?? map.primaries.first else {
            throw RedisError(.noPrimary, "no cluster node serves slot \(firstKeyed) yet")
        }
        for (index, slot) in slots.enumerated() {
            let node = slot.flatMap(map.primary(for:)) ?? fallback
            if groups[node] == nil { order.append(node) }
            groups[node, default: []].append(index)
        }
        var replies = [RedisReply](repeating: .null, count: commands.count)
        try await withThrowingTaskGroup(of: [(Int, RedisReply)].self) { group in
            for node in order {
                let indices = groups[node]!
                let batch = indices.map { commands[$0] }
                let batchSlots = indices.map { slots[$0] }
                group.addTask {
                    let answers = try await self.routedBatch(batch, slots: batchSlots, timeout: timeout)
                    return Array(zip(indices, answers))
                }
            }
            for try await answered in group {
                for (index, reply) in answered { replies[index] = reply }
            }
        }
        return replies
    }

    /// A batch for one node (the node of its first keyed command, or any primary): sent once; each command answered
    /// with a redirection or a retryable error then runs alone (``send(_:timeout:)``, which follows it), in order,
    /// its reply (or error reply) put in its place.
    private func routedBatch(_ commands: [RedisCommand], slots: [RedisHashSlot?], timeout: Duration?) async throws -> [RedisReply] {
        let deadline = ContinuousClock.now.advanced(by: timeout ?? cluster.node.timeouts.command)
        var node: Endpoint?
        var replies = try await routed(slot: slots.compactMap { $0 }.first, timeout: timeout, commands: commands.count) { client, endpoint, remaining, _ in
            node = endpoint
            return try await client.pipelineUnchecked(commands, timeout: remaining)
        }
        for index in replies.indices {
            guard case .error(let error) = replies[index], Self.isRedirectionOrRetry(error) else { continue }
            count(error)
            // Follow the redirection at once (MOVED: the map learns the slot's node; ASK: straight to the named node),
            // so that the command's own run does not meet it again.
            let askingFirst = node.flatMap { ClusterRedirection(error, askedHost: Self.host(of: $0)) }.flatMap(follow)
            let remaining = deadline - .now
            guard remaining > .zero else { continue }  // keeps the redirection reply: the deadline is spent
            do {
                replies[index] = try await send(commands[index], timeout: remaining, askingFirst: askingFirst)
            } catch let error as RedisError where error.serverError != nil {
                replies[index] = .error(error.serverError!)
            }
        }
        return replies
    }

    /// A `MULTI … EXEC` batch on its slot's node: run again whole after a redirection (`ASKING` first for `ASK`,
    /// which lasts through the transaction), since a redirected command makes the whole transaction abort.
    private func routedTransaction(_ commands: [RedisCommand], slot: RedisHashSlot?, timeout: Duration?) async throws -> [RedisReply] {
        try await routed(slot: slot, timeout: timeout, commands: commands.count) { client, _, remaining, asking in
            let batch = asking ? [RedisCommand("ASKING")] + commands : commands
            var replies = try await client.pipelineUnchecked(batch, timeout: remaining)
            if asking { replies.removeFirst() }
            for case .error(let error) in replies where Self.isRedirectionOrRetry(error) {
                throw RedisError.server(error)
            }
            return replies
        }
    }

    private static func isRedirectionOrRetry(_ error: RedisServerError) -> Bool {
        ["MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN"].contains(error.code)
    }

    /// Acts on a redirection: `MOVED` updates the slot in the map and schedules a refresh; `ASK` leaves the map alone.
    /// Returns the node to ask once, after `ASKING` (for `ASK`), or `nil`.
    private func follow(_ redirection: ClusterRedirection) -> Endpoint? {
        switch redirection.kind {
        case .moved:
            state.withLock(annotatedBy: self) { $0.map?.moved(redirection.slot, to: redirection.endpoint) }
            scheduleRefresh()
            return nil
        case .ask:
            return redirection.endpoint
        }
    }

    private func count(_ redirection: RedisServerError) {
        redirected.withLock(annotatedBy: self) { $0[String(redirection.code), default: 0] += 1 }
    }

    /// Runs `attempt` on the node serving `slot` (any primary for `nil`; first on `askingFirst` with `asking` set, for
    /// an `ASK` already met), following redirections and retrying what was not sent, until the deadline.
    private func routed<Result: Sendable>(
        slot: RedisHashSlot?, timeout: Duration?, commands: Int = 1, askingFirst: Endpoint? = nil,
        _ attempt: (RedisClient, Endpoint, Duration, _ asking: Bool) async throws -> Result
    ) async throws -> Result {
        let budget = timeout ?? cluster.node.timeouts.command
        let deadline = ContinuousClock.now.advanced(by: budget)
        var asking: Endpoint? = askingFirst
        var redirections = 0
        var pauses = 0
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else {
                throw RedisError(.commandTimeout, "no cluster node served slot \(slot.map { "\($0)" } ?? "-") within \(budget)")
            }
            let endpoint: Endpoint
            if let asking {
                endpoint = asking
            } else {
                do {
                    // A keyless command moves on to the next primary after each failed attempt.
                    endpoint = try await primary(for: slot, attempt: pauses)
                } catch let error as RedisError where error.code == .noPrimary {
                    // No node claims the slot yet (a failover): wait for the map to show one, within the deadline.
                    pauses += 1
                    try await pause(pauses, before: deadline, failing: error)
                    continue
                }
            }
            let client = try node(endpoint)
            sent.withLock(annotatedBy: self) { $0[endpoint, default: 0] += commands }
            do {
                let result = try await attempt(client, endpoint, remaining, asking != nil)
                return result
            } catch let error as RedisError where error.serverError != nil {
                guard let serverError = error.serverError else { throw error }
                if Self.isRedirectionOrRetry(serverError) { count(serverError) }
                if let redirection = ClusterRedirection(serverError, askedHost: Self.host(of: endpoint)) {
                    redirections += 1
                    guard redirections <= Self.maximumRedirections else {
                        throw RedisError(.server, "more than \(Self.maximumRedirections) redirections for slot \(redirection.slot): \(serverError.message)", serverError: serverError)
                    }
                    asking = follow(redirection)
                    continue
                }
                guard serverError.code == "TRYAGAIN" || serverError.code == "CLUSTERDOWN" else { throw error }
                asking = nil
                pauses += 1
                try await pause(pauses, before: deadline)
            } catch let error as ConnectionPoolError {
                // A node's own pool shut down means the node left the slot map (its client was retired): retry.
                if isShutDown { throw error }
                // Nothing was sent: the node may be gone (a failover); look again and retry.
                asking = nil
                pauses += 1
                logger.debug("a cluster node gave no connection; refreshing", metadata: ["error": "\(error)"])
                scheduleRefresh()
                try await pause(pauses, before: deadline, failing: error)
            }
        }
    }

    private func pause(_ count: Int, before deadline: ContinuousClock.Instant, failing error: (any Error)? = nil) async throws {
        let wait = min(pool.circuitBreaker.probeInterval * count, .milliseconds(500))
        guard ContinuousClock.now.advanced(by: wait) < deadline else {
            if let error { throw error }
            throw RedisError(.commandTimeout, "the cluster did not settle before the command's deadline")
        }
        try await Task.sleep(for: wait)
    }

    private static func host(of endpoint: Endpoint) -> String {
        if case .tcp(let host, _) = endpoint { return host }
        return "127.0.0.1"
    }

    // MARK: Topology

    private func keySpecs() async throws -> CommandKeySpecs {
        if let specs = state.withLock(annotatedBy: self, { $0.keySpecs }) { return specs }
        try await refresh()
        guard let specs = state.withLock(annotatedBy: self, { $0.keySpecs }) else {
            throw RedisError(.noPrimary, "no cluster node described its commands")
        }
        return specs
    }

    private func slotMap() async throws -> ClusterSlotMap {
        if let map = state.withLock(annotatedBy: self, { $0.map }) { return map }
        try await refresh()
        guard let map = state.withLock(annotatedBy: self, { $0.map }) else { throw RedisError(.noPrimary, "no cluster slot map") }
        return map
    }

    /// The primary serving `slot`, refreshing the map once when no node claims it; for `nil`, the primaries in
    /// turn, one per `attempt` (so that a keyless command does not keep trying a node that is down).
    private func primary(for slot: RedisHashSlot?, attempt: Int = 0) async throws -> Endpoint {
        var map = try await slotMap()
        if let slot, map.primary(for: slot) == nil {
            try await refresh()
            map = try await slotMap()
        }
        let endpoint: Endpoint?
        if let slot {
            endpoint = map.primary(for: slot)
        } else {
            let primaries = map.primaries
            endpoint = primaries.isEmpty ? nil : primaries[attempt % primaries.count]
        }
        guard let endpoint else {
            throw RedisError(.noPrimary, "no cluster node serves slot \(slot.map { "\($0)" } ?? "-")")
        }
        return endpoint
    }

    /// The client of the node at `endpoint`, made (and handed to ``run()``) on first use.
    private func node(_ endpoint: Endpoint) throws -> RedisClient {
        let (client, made) = state.withLock(annotatedBy: self) { state -> (RedisClient?, Bool) in
            if let client = state.nodes[endpoint] { return (client, false) }
            guard !state.shutDown else { return (nil, false) }
            let client = RedisClient(
                configuration: RedisClientConfiguration(connection: cluster.nodeConnection(endpoint), pool: pool),
                eventLoopGroup: eventLoopGroup, logger: logger)
            state.nodes[endpoint] = client
            return (client, true)
        }
        guard let client else { throw ConnectionPoolError.shutdown }
        if made { started.yield(client) }
        return client
    }

    /// Shuts down the clients of nodes that have not been primaries in the slot map for ``retirementDelay`` (no pool
    /// keeps reconnecting to a failed primary); while some are still waiting for that, a task checks again later.
    private func retireDepartedNodes() {
        let (gone, scheduleCheck) = state.withLock(annotatedBy: self) { state -> ([RedisClient], Bool) in
            guard let map = state.map, !state.shutDown else { return ([], false) }
            let now = ContinuousClock.now
            var gone: [RedisClient] = []
            for endpoint in state.nodes.keys {
                guard !map.primaries.contains(endpoint) else {
                    state.missingSince[endpoint] = nil
                    continue
                }
                let since = state.missingSince[endpoint] ?? now
                state.missingSince[endpoint] = since
                if now - since >= Self.retirementDelay, let client = state.nodes.removeValue(forKey: endpoint) {
                    state.missingSince[endpoint] = nil
                    gone.append(client)
                }
            }
            state.missingSince = state.missingSince.filter { state.nodes[$0.key] != nil }
            let scheduleCheck = !state.missingSince.isEmpty && !state.retirementCheckScheduled
            if scheduleCheck { state.retirementCheckScheduled = true }
            return (gone, scheduleCheck)
        }
        gone.forEach { $0.shutdown() }
        guard scheduleCheck else { return }
        Task { [weak self] in
            try? await Task.sleep(for: Self.retirementDelay)
            guard let self else { return }
            self.state.withLock(annotatedBy: self) { $0.retirementCheckScheduled = false }
            self.retireDepartedNodes()
        }
    }

    /// Starts a refresh unless one ran less than ``minimumRefreshInterval`` ago or is running.
    private func scheduleRefresh() {
        guard !isShutDown else { return }
        Task { try? await self.refresh() }
    }

    /// Reads the slot map (and, the first time, the commands' key positions) from the first node that answers: the
    /// primaries known now, then the seeds. Concurrent callers share one refresh.
    func refresh() async throws {
        let (task, generation, shutDown) = state.withLock(annotatedBy: self) { state -> (Task<Void, any Error>?, Int, Bool) in
            if state.shutDown { return (nil, 0, true) }
            if let running = state.refresh { return (running, state.refreshGeneration, false) }
            if let last = state.lastRefresh, ContinuousClock.now - last < Self.minimumRefreshInterval, state.map != nil {
                return (nil, 0, false)
            }
            let needsSpecs = state.keySpecs == nil
            let candidates = (state.map?.primaries ?? []) + cluster.seeds
            let task = Task { try await self.discover(from: candidates, needsSpecs: needsSpecs) }
            state.refresh = task
            state.refreshGeneration += 1
            return (task, state.refreshGeneration, false)
        }
        if shutDown { throw ConnectionPoolError.shutdown }
        guard let task else { return }
        defer {
            state.withLock(annotatedBy: self) { state in
                // Only the refresh that finished is forgotten (a newer one may have started meanwhile).
                guard state.refreshGeneration == generation else { return }
                state.refresh = nil
                state.lastRefresh = .now
            }
        }
        try await task.value
    }

    private func discover(from candidates: [Endpoint], needsSpecs: Bool) async throws {
        var failures: [String] = []
        var seen = Set<Endpoint>()
        for endpoint in candidates where seen.insert(endpoint).inserted {
            do {
                let connection = try await RedisConnection.connect(configuration: cluster.nodeConnection(endpoint), eventLoopGroup: eventLoopGroup)
                defer { connection.close() }
                let host = Self.host(of: endpoint)
                var map: ClusterSlotMap?
                do {
                    map = ClusterSlotMap(shards: try await connection.send("CLUSTER", "SHARDS"), askedHost: host, tls: cluster.node.tls != nil)
                } catch let error as RedisError where error.code == .server {
                    map = nil  // before Redis 7.0: CLUSTER SLOTS below
                }
                if map == nil {
                    map = ClusterSlotMap(slots: try await connection.send("CLUSTER", "SLOTS"), askedHost: host)
                }
                guard let map, !map.primaries.isEmpty else {
                    failures.append("\(endpoint): no slot map")
                    continue
                }
                let specs = needsSpecs ? CommandKeySpecs(command: try await connection.send("COMMAND")) : nil
                state.withLock(annotatedBy: self) { state in
                    state.map = map
                    if let specs { state.keySpecs = specs }
                }
                retireDepartedNodes()
                logger.debug("cluster slot map read", metadata: ["from": "\(endpoint)", "primaries": "\(map.primaries.count)"])
                return
            } catch {
                failures.append("\(endpoint): \(error)")
            }
        }
        throw RedisError(.noPrimary, "no cluster node gave a slot map: " + failures.joined(separator: "; "))
    }
}
