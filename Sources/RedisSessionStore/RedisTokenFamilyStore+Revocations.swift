// RedisTokenFamilyStore+Revocations: the revocation log, its Pub/Sub announcements, and following both.

import HiredisClient
import Metrics
import SessionStore
import SessionTokens

extension RedisTokenFamilyStore {
    /// Adds families to the revocation log and announces them on the channel (one script on the log's slot),
    /// retrying for about a second. The families are already ended (their refresh tokens are dead) when this runs:
    /// if the log stays unreachable, their access tokens remain valid on the other instances until they expire (at
    /// most the access-token lifetime), so the failure is logged as an error and counted in
    /// `token_revocations_unrecorded_total` for alerting, and the operation itself still reports what it did.
    func recordRevocations(_ families: [String]) async {
        let arguments: [any RedisArgument] = [Self.milliseconds(configuration.revocationHorizon), revocationChannel] + families
        var pause: Duration = .milliseconds(100)
        for attempt in 1...4 {
            do {
                _ = try await run(TokenScripts.recordRevocations, keys: [revocationLogKey], arguments: arguments)
                return
            } catch {
                if attempt == 4 {
                    Counter(label: "token_revocations_unrecorded_total").increment(by: families.count)
                    logger.error("revoked token families could not be recorded in the revocation log: their access tokens stay valid on other instances until they expire", metadata: [
                        "families": "\(families.map { $0.prefix(8) })", "error": "\(error)",
                    ])
                    return
                }
                try? await Task.sleep(for: pause)
                pause *= 2
            }
        }
    }

    /// Keeps `list` current until the task is cancelled: revocations announced on the channel are added at once;
    /// the log is read every ``pollInterval`` (from a little before the newest revocation seen, so that a message
    /// lost while the subscription was down is still found), and each successful read marks the list fresh as of
    /// the moment it was sent.
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

    /// Reads the revocation log every ``pollInterval`` until cancelled.
    private func pollRevocations(into list: RevocationList) async {
        var cursor: Int64?
        let overlap: Int64 = 2000
        while !Task.isCancelled {
            let sentAt = ContinuousClock.now
            let from = cursor.map { String($0 - overlap) } ?? "-inf"
            do {
                let reply = try await client.send(RedisCommand("ZRANGEBYSCORE", revocationLogKey, from, "+inf", "WITHSCORES"),
                                                  timeout: .seconds(1))
                let items = reply.array ?? []
                var families: [String] = []
                families.reserveCapacity(items.count / 2)
                for index in stride(from: 0, to: items.count - 1, by: 2) {
                    if let family = items[index].string { families.append(family) }
                    if let score = items[index + 1].int.map(Int64.init) ?? items[index + 1].string.flatMap(Double.init).map(Int64.init) {
                        cursor = max(cursor ?? score, score)
                    }
                }
                if !families.isEmpty { list.revoke(families) }
                list.markFresh(asOf: sentAt)
            } catch {
                logger.debug("reading the revocation log failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(until: sentAt + pollInterval)
        }
    }
}
