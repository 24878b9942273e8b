// BenchOptions: the options every bench mode shares (target, load shape, output).

import ArgumentParser
import Glibc

/// Options shared by the bench modes; their flags are part of the bench's stable contract.
struct BenchOptions: ParsableArguments {
    @Option(help: "Redis URL; without it a private redis-server is started on a free loopback port.")
    var redis: String?

    @Option(help: "Concurrent tasks.")
    var concurrency = 64

    @Option(help: "Connections in the Redis pool.")
    var connections = 8

    @Option(help: "How long to run, e.g. 10s or 500ms.")
    var duration = BenchDuration(argument: "10s")!

    @Flag(help: "Print exactly one JSON object on standard output.")
    var json = false

    func validate() throws {
        guard concurrency > 0, connections > 0 else {
            throw ValidationError("--concurrency and --connections must be positive")
        }
    }

    /// The live progress line goes to standard error, only when it is a terminal and no JSON was asked for.
    var showProgress: Bool { !json && isatty(2) == 1 }
}
