// FailoverWatch: `--watch-promotion`: when a watched replica became a primary, and when the bench's client was served again.

import Foundation
import HiredisClient
import Synchronization

/// Times a failover from the outside while the load runs.
///
/// Two loops run beside the workload until the task running ``run()`` is cancelled:
/// - every 10 ms, `ROLE` on each watched replica (a connection of its own to each): the first one seen as a replica
///   that then answers `master` was promoted, at that moment;
/// - every 10 ms, a probe round through the bench's own client, whether the earlier rounds ended or not (at most
///   ``maximumRoundsInFlight`` at once): one pipeline writing 64 keys whose hash tags spread over the slots (with
///   three primaries, the chance that one gets none is about 10⁻¹¹). A round counts as served when every write
///   succeeded, which can only happen on primaries (a replica refuses writes).
///
/// The failover is *followed* when a round that started after the promotion is served: the time between the
/// promotion and the earliest end of such a round is what the client's discovery costs
/// (`followed_after_promotion_ms`). The probe's writes count in the report's `per_node` and `redirections` too.
final class FailoverWatch: Sendable {
    /// What the bench reports as `failover`; times are wall-clock milliseconds since 1970.
    struct Report: Encodable {
        /// The replica that became a primary (`host:port`), or `nil` when none did during the run.
        let promoted: String?
        /// When it first answered `ROLE` as a primary.
        let promoted_at_ms: Double?
        /// The end of the first probe round served after the promotion started.
        let followed_at_ms: Double?
        /// `followed_at_ms - promoted_at_ms`: how long after the promotion the client was served again.
        let followed_after_promotion_ms: Double?
        /// The longest time between the ends of two served probe rounds, or from the last served one to the end of
        /// the watch when the rounds after it failed (how long writes were not served, from the client's side).
        let longest_probe_gap_ms: Double
        /// Probe rounds run, and how many of them were not served.
        let probe_rounds: Int
        let probe_rounds_failed: Int
    }

    private struct State {
        var promoted: String?
        var promotedAt: Date?
        var followedAt: Date?
        var lastServed: Date?
        /// The end of the last round, and whether it failed (a gap still open at the end counts).
        var lastEnded: Date?
        var lastFailed = false
        var longestGap: TimeInterval = 0
        var rounds = 0
        var failed = 0
        var inFlight = 0
    }

    /// The most probe rounds waiting at once (each waits at most the client's command deadline).
    static let maximumRoundsInFlight = 64

    private let replicas: [(name: String, connection: RedisConnectionConfiguration)]
    private let client: RedisClient
    private let state = Mutex(State())
    private let probeKeys: [String]

    /// - Parameters:
    ///   - replicas: the replicas to watch, with how to connect to each (credentials, TLS).
    ///   - client: the client whose commands must follow the failover.
    init(replicas: [(name: String, connection: RedisConnectionConfiguration)], client: RedisClient) {
        self.replicas = replicas
        self.client = client
        probeKeys = (0..<64).map { "session-bench:probe:{\($0 * 7919)}" }
    }

    /// Watches until the task is cancelled.
    func run() async {
        state.withLock { $0.lastServed = Date() }
        await withDiscardingTaskGroup { group in
            for replica in replicas {
                group.addTask { await self.watchRole(of: replica.name, connection: replica.connection) }
            }
            group.addTask { await self.probe() }
        }
    }

    /// The figures so far.
    var report: Report {
        state.withLock { state in
            func ms(_ date: Date?) -> Double? { date.map { ($0.timeIntervalSince1970 * 1000).rounded() } }
            var longestGap = state.longestGap
            if state.lastFailed, let served = state.lastServed, let ended = state.lastEnded {
                longestGap = max(longestGap, ended.timeIntervalSince(served))
            }
            return Report(
                promoted: state.promoted, promoted_at_ms: ms(state.promotedAt), followed_at_ms: ms(state.followedAt),
                followed_after_promotion_ms: state.followedAt.flatMap { followed in
                    state.promotedAt.map { (followed.timeIntervalSince($0) * 1000).rounded() }
                },
                longest_probe_gap_ms: (longestGap * 1000).rounded(), probe_rounds: state.rounds, probe_rounds_failed: state.failed)
        }
    }

    private func watchRole(of name: String, connection configuration: RedisConnectionConfiguration) async {
        var connection: RedisConnection?
        var seenAsReplica = false
        while !Task.isCancelled, state.withLock({ $0.promoted == nil }) {
            do {
                if connection == nil { connection = try await RedisConnection.connect(configuration: configuration) }
                let role = try await connection!.send("ROLE").array?.first?.string
                // A node that is a primary from the start was not promoted during the run.
                if role == "slave" { seenAsReplica = true }
                if role == "master", seenAsReplica {
                    state.withLock { state in
                        if state.promoted == nil { (state.promoted, state.promotedAt) = (name, Date()) }
                    }
                }
            } catch {
                connection?.close()
                connection = nil
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        connection?.close()
    }

    private func probe() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let started = state.withLock { state -> Bool in
                    guard state.inFlight < Self.maximumRoundsInFlight else { return false }
                    state.inFlight += 1
                    return true
                }
                if started { group.addTask { await self.probeRound() } }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    private func probeRound() async {
        let started = Date()
        let served: Bool
        do {
            let replies = try await client.pipeline(probeKeys.map { RedisCommand("SET", $0, "1") })
            served = replies.allSatisfy { $0 == .status("OK") }
        } catch is CancellationError {
            state.withLock { $0.inFlight -= 1 }  // the watch ended: neither served nor failed
            return
        } catch {
            served = false
        }
        let ended = Date()
        state.withLock { state in
            state.inFlight -= 1
            state.rounds += 1
            if state.lastEnded.map({ ended >= $0 }) ?? true { (state.lastEnded, state.lastFailed) = (ended, !served) }
            guard served else {
                state.failed += 1
                return
            }
            if let last = state.lastServed, ended > last {
                state.longestGap = max(state.longestGap, ended.timeIntervalSince(last))
            }
            state.lastServed = max(state.lastServed ?? ended, ended)
            if let promotedAt = state.promotedAt, started >= promotedAt, state.followedAt.map({ ended < $0 }) ?? true {
                state.followedAt = ended
            }
        }
    }
}
