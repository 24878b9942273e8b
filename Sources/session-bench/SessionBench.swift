// session-bench: the load tester's entry point and its subcommands.

import ArgumentParser

@main
struct SessionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session-bench",
        abstract: "Load tests the Redis client, the session store, and the session server over HTTP.",
        subcommands: [RedisBench.self, StoreBench.self, HTTPBench.self]
    )
}
