// RedisDeploymentPool: started deployments kept for reuse, each lent to one borrower at a time and emptied in between.

/// Keeps started Redis deployments (a server, a Sentinel-watched primary, a cluster) so that a run of short tests
/// pays for starting each kind once, not once a test: a cluster takes about a second and a half to build.
///
/// A deployment is lent to one borrower at a time; when none is idle a new one starts, up to a limit of each kind
/// (borrowers past it wait for one to come back), so borrowers may run concurrently without a cluster per test
/// at once. It comes back emptied (`FLUSHALL` on every data node, each within 5 seconds), whether the borrower returned
/// or threw; one that cannot be emptied is stopped instead.
/// The borrower must not change the deployment itself (kill, reconfigure or fail over a node): tests that do
/// start deployments of their own.
///
/// ```swift
/// let pool = RedisDeploymentPool()
/// try await pool.withDeployment(.cluster) { deployment in
///     let client = RedisClient(configuration: try .init(url: deployment.url), logger: logger)
///     …
/// }
/// await pool.stop()   // stops every idle deployment
/// ```
public actor RedisDeploymentPool {
    /// What to start.
    public enum Kind: Hashable, Sendable {
        /// One `redis-server`.
        case server
        /// One primary without replicas, watched by one sentinel (quorum 1): clients find it through the sentinel.
        case sentinel
        /// Three primaries without replicas sharing every slot.
        case cluster
    }

    /// A started deployment, lent by ``withDeployment(_:_:)``.
    public struct Deployment: Sendable {
        /// What it is.
        public let kind: Kind
        /// The URL a client connects with (`redis://`, `redis-sentinel://…/mymaster`, `redis-cluster://`).
        public let url: String
        /// The nodes that hold data (not the sentinel).
        public let dataNodes: [RedisServerProcess]
        fileprivate let stopProcesses: @Sendable () async -> Void
    }

    private let limit: Int
    private var idle: [Kind: [Deployment]] = [:]
    private var running: [Kind: Int] = [:]
    private var waiting: [Kind: [CheckedContinuation<Void, Never>]] = [:]
    private var stopped = false

    /// Creates an empty pool: deployments start when first borrowed.
    /// - Parameter limit: how many deployments of one kind may run at once (at least 1).
    public init(limit: Int = 2) {
        precondition(limit >= 1)
        self.limit = limit
    }

    /// Lends an idle deployment of `kind`, or a new one, to `body`, and takes it back emptied.
    /// - Throws: ``RedisServerProcess/StartError`` when a deployment cannot start, or what `body` throws.
    public nonisolated func withDeployment<Result: Sendable>(
        _ kind: Kind, _ body: @Sendable (Deployment) async throws -> Result
    ) async throws -> Result {
        let deployment = try await borrow(kind)
        do {
            let result = try await body(deployment)
            await giveBack(deployment)
            return result
        } catch {
            await giveBack(deployment)
            throw error
        }
    }

    /// The pool set up by ``scoped(_:)`` around the current task, if any.
    @TaskLocal public static var current: RedisDeploymentPool?

    /// Runs `body` with a new pool, also set as ``current`` (so that everything it runs, child tasks included,
    /// shares it), then stops the pool.
    public static func scoped<Result: Sendable>(
        _ body: @Sendable (RedisDeploymentPool) async throws -> Result
    ) async throws -> Result {
        let pool = RedisDeploymentPool()
        do {
            let result = try await $current.withValue(pool) { try await body(pool) }
            await pool.stop()
            return result
        } catch {
            await pool.stop()
            throw error
        }
    }

    /// Lends `body` a deployment of `kind` from ``current``, or from a pool of its own for this call alone.
    public static func withDeployment<Result: Sendable>(
        _ kind: Kind, _ body: @Sendable (Deployment) async throws -> Result
    ) async throws -> Result {
        if let current { return try await current.withDeployment(kind, body) }
        return try await scoped { pool in try await pool.withDeployment(kind, body) }
    }

    /// Stops every idle deployment; after it, a lent deployment is stopped when it comes back, and borrowing fails.
    public func stop() async {
        stopped = true
        for waiter in waiting.values.flatMap({ $0 }) { waiter.resume() }
        waiting = [:]
        let deployments = idle.values.flatMap { $0 }
        idle = [:]
        for deployment in deployments { await retire(deployment) }
    }

    private func borrow(_ kind: Kind) async throws -> Deployment {
        while true {
            guard !stopped else { throw RedisServerProcess.StartError(description: "the deployment pool was stopped") }
            if let deployment = idle[kind]?.popLast() { return deployment }
            if running[kind, default: 0] < limit {
                running[kind, default: 0] += 1
                do {
                    return try await Self.start(kind)
                } catch {
                    running[kind, default: 1] -= 1
                    wakeOne(kind)
                    throw error
                }
            }
            await withCheckedContinuation { waiting[kind, default: []].append($0) }
        }
    }

    private func giveBack(_ deployment: Deployment) async {
        if stopped { return await retire(deployment) }
        for node in deployment.dataNodes {
            let reply = try? await RedisCommandLine.run(["-p", "\(node.port)", "FLUSHALL"], timeout: .seconds(5))
            guard reply?.hasPrefix("OK") == true else { return await retire(deployment) }
        }
        idle[deployment.kind, default: []].append(deployment)
        wakeOne(deployment.kind)
    }

    private func retire(_ deployment: Deployment) async {
        await deployment.stopProcesses()
        running[deployment.kind, default: 1] -= 1
        wakeOne(deployment.kind)
    }

    private func wakeOne(_ kind: Kind) {
        if waiting[kind]?.isEmpty == false { waiting[kind]?.removeFirst().resume() }
    }

    private static func start(_ kind: Kind) async throws -> Deployment {
        switch kind {
        case .server:
            let server = try await RedisServerProcess.start()
            return Deployment(kind: kind, url: server.url, dataNodes: [server], stopProcesses: { await server.stop() })
        case .sentinel:
            let sentinel = try await RedisSentinelProcesses.start(replicas: 0, sentinels: 1, quorum: 1)
            return Deployment(kind: kind, url: sentinel.url, dataNodes: sentinel.dataNodes, stopProcesses: { await sentinel.stop() })
        case .cluster:
            let cluster = try await RedisClusterProcesses.start(replicasPerPrimary: 0)
            return Deployment(kind: kind, url: cluster.url, dataNodes: cluster.nodes, stopProcesses: { await cluster.stop() })
        }
    }
}
