// RedisClient+Sentinel: following a Sentinel failover: +switch-master events, and READONLY/LOADING answers retried elsewhere.

import Logging

extension RedisClient {
    /// A command was answered `READONLY` by a node that is no longer the primary, or `LOADING` by a primary still
    /// loading its data (restarted): it did not run, so it can run again, on the primary the sentinels name by then.
    struct NotPrimary: Error {
        let connection: RedisConnection
        let error: RedisError
    }

    /// How many times a command answered `READONLY` or `LOADING` runs again (on a new connection each time) before it
    /// fails.
    static let primaryRetries = 5

    /// Whether a server error says the node cannot serve as the primary now: it is a replica (a demoted primary,
    /// `READONLY`) or is loading its data (`LOADING`). Neither ran the command.
    static func isNotServingPrimary(_ error: RedisServerError) -> Bool {
        error.code == "READONLY" || error.code == "LOADING"
    }

    /// Whether a pipeline's replies show it met a node that cannot serve as the primary, so that it runs again
    /// whole: any `READONLY` (a replica refuses every write; a node demoted between two of the pipeline's commands,
    /// which needs the pipeline to span two reads of the server, ran the earlier ones), or `LOADING` for its last
    /// command (a primary's loading can end midway through a pipeline, never begin: then none of its commands that
    /// loading refuses ran).
    static func metNonPrimary(_ replies: [RedisReply]) -> RedisServerError? {
        for case .error(let error) in replies where error.code == "READONLY" { return error }
        if case .error(let error)? = replies.last, error.code == "LOADING" { return error }
        return nil
    }

    /// Runs `attempt` again when it met a node that is not (or not yet) serving as the primary. After `READONLY` every
    /// connection is closed gracefully (the pool replaces them with ones to the primary the sentinels name now); after
    /// `LOADING` the sentinels are asked again and the connections retired only if they name another primary. After a
    /// growing pause the attempt is repeated (a pipeline whole, see ``metNonPrimary(_:)``; a `PUBLISH` in it would run
    /// twice), up to ``primaryRetries`` times; then it fails with `.noPrimary`, never with the `READONLY` or `LOADING`
    /// answer.
    func followingPrimary<Result>(_ attempt: () async throws -> Result) async throws -> Result {
        var tries = 0
        while true {
            do {
                return try await attempt()
            } catch let notPrimary as NotPrimary {
                if notPrimary.error.serverError?.code == "LOADING" {
                    // The primary restarted and is loading its data: ask the sentinels again (they may have moved
                    // on), keeping the connections unless they did.
                    await factory.retireIfPrimaryMoved()
                } else {
                    // A replica: every connection to that node is stale, not only this one; the pool reconnects all.
                    notPrimary.connection.close()
                    factory.retireAll()
                }
                tries += 1
                logger.info("a command met a node not serving as the primary (READONLY or LOADING); retrying", metadata: [
                    "attempt": "\(tries)",
                ])
                guard tries < Self.primaryRetries else {
                    throw RedisError(.noPrimary, "the node the sentinels named could not serve as the primary \(tries) "
                        + "times: \(notPrimary.error.message)")
                }
                try await Task.sleep(for: configuration.pool.circuitBreaker.probeInterval * tries)
            }
        }
    }

    /// Listens to the sentinels' `+switch-master` events (re-subscribing after a disconnect) and retires every
    /// connection to the old primary when this deployment's primary changes. Returns when the task is cancelled.
    func followSwitchMaster() async {
        guard let resolver = factory.resolver else { return }
        let name = resolver.configuration.primaryName
        let events = RedisSubscription(client: self, channels: ["+switch-master"], patterns: []) { [factory, logger] in
            try await factory.makeSentinelConnection(logger: logger)
        }
        for await event in events {
            if case .subscribed(reconnected: true) = event {
                // A switch may have happened while the link to the sentinels was down.
                await factory.retireIfPrimaryMoved()
                continue
            }
            // "<name> <old-ip> <old-port> <new-ip> <new-port>"
            guard case .message(let message) = event, message.string.split(separator: " ").first.map(String.init) == name else {
                continue
            }
            logger.notice("the sentinels switched the primary; reconnecting", metadata: ["switch": "\(message.string)"])
            factory.retireAll()
        }
    }
}
