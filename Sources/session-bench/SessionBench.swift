// session-bench: the load tester's entry point and its subcommands.

import ArgumentParser

@main
struct SessionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session-bench",
        abstract: "Load tests the Redis client and the session store.",
        subcommands: [RedisBench.self, StoreBench.self]
    )
}
