// StoreBench: `session-bench store`: load/create/save/rotate/mixed against a session store, with consistency checks.

import ArgumentParser
import Foundation
import HiredisClient
import Logging
import RedisSessionStore
import SessionStore
import Synchronization

struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measures a session store and checks its consistency while under load."
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case load, create, save, rotate, mixed
    }

    @OptionGroup var options: BenchOptions

    @Flag(help: "Use the in-memory store instead of Redis.")
    var memory = false

    @Option(help: "load, create, save, rotate, or mixed (80% load, 15% save, 4% rotate, 1% destroy + create).")
    var workload: Workload = .mixed

    @Option(help: "Sessions created before the run.")
    var sessions = 10_000

    @Option(help: "Attribute bytes per session: names plus JSON values of at most 48 bytes each.")
    var payloadBytes = 200

    @Flag(help: "Make destroy and rotation wait for one replica (the store's durable revocation, WAIT 1 100).")
    var durableRevocation = false

    @Option(help: ArgumentHelp(
        "Replicas (host:port,…) to watch during the run: the report's `failover` says when one was promoted and when the bench's client was served again.",
        valueName: "host:port,…"))
    var watchPromotion: String?

    func validate() throws {
        guard sessions >= options.concurrency, payloadBytes >= 0 else {
            throw ValidationError("--sessions must be at least --concurrency, --payload-bytes not negative")
        }
        guard !(memory && options.redis != nil) else { throw ValidationError("--memory and --redis exclude each other") }
        guard !memory || (!durableRevocation && watchPromotion == nil) else {
            throw ValidationError("--durable-revocation and --watch-promotion need Redis, not --memory")
        }
        _ = try watchedReplicas()
    }

    /// The `--watch-promotion` addresses.
    func watchedReplicas() throws -> [(host: String, port: Int)] {
        guard let watchPromotion else { return [] }
        return try watchPromotion.split(separator: ",").map { address in
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
                  (1...65535).contains(port), colon != address.startIndex
            else { throw ValidationError("--watch-promotion takes host:port,host:port…; '\(address)' is not one") }
            return (String(address[..<colon]), port)
        }
    }

    func run() async throws {
        var sessionConfiguration = SessionConfiguration()
        sessionConfiguration.rotation.renewalGrace = .seconds(1)
        sessionConfiguration.maximumSessionBytes = max(64 * 1024, payloadBytes * 2)
        let (concurrency, json) = (options.concurrency, options.json)
        let target = try await StoreTarget.open(memory: memory, options: options, configuration: sessionConfiguration,
                                                durableRevocation: durableRevocation, quiet: json)
        let population = try await Population.create(store: target.store, count: sessions, payload: Self.payload(bytes: payloadBytes),
                                                     concurrency: concurrency)
        let bytesPerSession = try await target.bytesPerSession(count: sessions)
        let checks = ConsistencyChecks()
        let owned = population.partitioned(into: concurrency)
        let payload = Self.payload(bytes: payloadBytes)
        let store = target.store
        let workload = self.workload
        let runner = LoadRunner(concurrency: concurrency, duration: options.duration.duration, showProgress: options.showProgress,
                                executors: options.eventLoopExecutors)
        let countsBefore = target.client?.clusterCommandCounts
        let redirectionsBefore = target.client?.clusterRedirectionCounts
        var watch: FailoverWatch?
        if let client = target.client, watchPromotion != nil {
            // The replicas are reached as the data nodes are (credentials, TLS), at their own addresses.
            let node = try options.clientConfiguration(url: options.redis ?? "redis://127.0.0.1").connection
            watch = FailoverWatch(replicas: try watchedReplicas().map { replica in
                var connection = node
                connection.endpoint = .tcp(host: replica.host, port: replica.port)
                return (name: "\(replica.host):\(replica.port)", connection: connection)
            }, client: client)
        }
        let watching = watch.map { watch in Task { await watch.run() } }
        // For whoever hurts the deployment on purpose (the chaos tests, topology.sh failover): the load runs now.
        FileHandle.standardError.write(Data("session-bench: load started\n".utf8))
        let result = await runner.run { worker, iteration in
            try await StoreOperations.perform(workload, worker: worker, iteration: iteration, store: store, population: population,
                                              owned: owned[worker], payload: payload, checks: checks)
        }
        watching?.cancel()
        await watching?.value
        let violations = try await checks.verify(store: store, grace: sessionConfiguration.rotation.renewalGrace, owned: owned)
        var report = BenchReport(mode: "store", workload: workload.rawValue, concurrency: concurrency,
                                 connections: memory ? 0 : options.connections, result: result)
        report.violations = violations
        report.redis_bytes_per_session = bytesPerSession
        if let before = countsBefore, let after = target.client?.clusterCommandCounts {
            report.per_node = after.merging(before) { now, then in now - then }
        }
        if let before = redirectionsBefore, let after = target.client?.clusterRedirectionCounts {
            report.redirections = after.merging(before) { now, then in now - then }
        }
        report.failover = watch?.report
        if result.errors > 0 { report.error_examples = result.firstErrors }
        if json {
            print(report.json())
        } else {
            print(report.table())
            for error in result.firstErrors { print("error: \(error)") }
            for violation in checks.examples() { print("violation: \(violation)") }
        }
        try await target.close()
    }

    /// Attributes whose names and JSON values add up to `bytes` (values of at most 48 bytes, as small session
    /// attributes are; the same shape the memory test measures).
    static func payload(bytes: Int) -> [String: [UInt8]] {
        var attributes: [String: [UInt8]] = [:]
        var left = bytes
        var index = 0
        while left > 0 {
            let name = "p\(index)"
            let size = max(1, min(48, left - name.utf8.count))
            attributes[name] = size >= 2 ? [34] + [UInt8](repeating: UInt8(ascii: "x"), count: size - 2) + [34] : [49]
            left -= name.utf8.count + size
            index += 1
        }
        return attributes
    }
}
