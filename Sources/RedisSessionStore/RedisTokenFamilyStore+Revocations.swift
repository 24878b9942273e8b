// RedisTokenFamilyStore+Revocations: the revocation log, its Pub/Sub announcements, and following both.

import HiredisClient
import Metrics
import SessionStore
import SessionTokens

extension RedisTokenFamilyStore {
    /// The last two steps of a revocation (see ``TokenScripts``): records the marked families in the revocation
    /// log, retrying for about a second, then ends them. When the log stays unreachable the families stay marked (no
    /// refresh works; repeating the operation, or presenting one of their tokens, records them again) and this
    /// throws `.unavailable`: their access tokens are not yet refused by the other instances.
    func finishRevocation(_ families: [String], prefix: String) async throws(SessionStoreError) {
        let arguments: [any RedisArgument] = [configuration.revocationHorizon.milliseconds, revocationChannel] + families
        var pause: Duration = .milliseconds(100)
        for attempt in 1...4 {
            do {
                _ = try await run(TokenScripts.recordRevocations, keys: [revocationLogKey], arguments: arguments, revoking: true)
                break
            } catch {
                guard attempt < 4 else {
                    Counter(label: "token_revocations_unrecorded_total").increment(by: families.count)
                    logger.error("revoked token families could not be recorded in the revocation log yet", metadata: [
                        "families": "\(families.map { $0.prefix(8) })", "error": "\(error)",
                    ])
                    throw error
                }
                try? await Task.sleep(for: pause)
                pause *= 2
            }
        }
        _ = try await run(TokenScripts.end, keys: families.map { prefix + "f:" + $0 }, arguments: [prefix] + families, revoking: true)
    }

    /// Keeps `list` current until the task is cancelled: revocations announced on the channel are added at once;
    /// the log is read every ``pollInterval`` (see `pollRevocations`), and each read that caught up marks the list
    /// fresh as of the moment it started.
    public func followRevocations(into list: RevocationList) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [client, revocationChannel] in
                for await event in client.subscribe(to: [revocationChannel]) {
                    if case .message(let message) = event {
                        list.revoke(message.string.split(separator: ",").map(String.init))
                    }
                }
            }
            group.addTask { await self.pollRevocations(into: list) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Reads the revocation log every ``pollInterval`` until cancelled, in pages of ``pageSize`` entries, from a
    /// second before the newest entry seen (stream ids follow the server's clock, which may step back a little after
    /// a failover; entries read twice are harmless). Each command's deadline leaves the list's staleness bound room.
    private func pollRevocations(into list: RevocationList) async {
        var newest: (milliseconds: Int64, sequence: Int64)?
        let timeout = max(.milliseconds(100), min(.seconds(1), list.maxStaleness - pollInterval))
        while !Task.isCancelled {
            let startedAt = ContinuousClock.now
            var start = newest.map { "\(max(0, $0.milliseconds - 1000))-0" } ?? "-"
            do {
                while true {
                    let reply = try await client.send(RedisCommand("XRANGE", revocationLogKey, start, "+", "COUNT", String(Self.pageSize)),
                                                      timeout: timeout)
                    let entries = reply.array ?? []
                    var families: [String] = []
                    for entry in entries {
                        guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { continue }
                        let fields = parts[1].array ?? []
                        for index in stride(from: 0, to: fields.count - 1, by: 2) where fields[index].string == "f" {
                            families += (fields[index + 1].string ?? "").split(separator: ",").map(String.init)
                        }
                        if let parsed = Self.streamID(id), newest.map({ parsed > $0 }) ?? true { newest = parsed }
                        start = "(" + id
                    }
                    if !families.isEmpty { list.revoke(families) }
                    if entries.count < Self.pageSize { break }
                }
                list.markFresh(asOf: startedAt)
            } catch {
                logger.debug("reading the revocation log failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(until: startedAt + pollInterval)
        }
    }

    /// Entries read per `XRANGE` of the revocation log.
    static let pageSize = 512

    /// `<milliseconds>-<sequence>`.
    static func streamID(_ text: String) -> (milliseconds: Int64, sequence: Int64)? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let milliseconds = Int64(parts[0]), let sequence = Int64(parts[1]) else { return nil }
        return (milliseconds, sequence)
    }
}
