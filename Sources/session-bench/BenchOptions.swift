// BenchOptions: the options every bench mode shares (target, load shape, output).

import ArgumentParser
import Glibc
import HiredisClient
import NIOCore
import NIOPosix

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

    @Option(help: "PEM file of the certificate authority that signed the server's certificate (rediss:// URLs).")
    var tlsCaFile: String?

    @Option(help: "PEM file of a client certificate, for mutual TLS (with --tls-key-file).")
    var tlsCertFile: String?

    @Option(help: "PEM file of the client certificate's private key.")
    var tlsKeyFile: String?

    @Flag(help: "Skip verifying the server's certificate (tests only).")
    var tlsInsecure = false

    func validate() throws {
        guard concurrency > 0, connections > 0 else {
            throw ValidationError("--concurrency and --connections must be positive")
        }
        if (tlsCertFile == nil) != (tlsKeyFile == nil) {
            throw ValidationError("--tls-cert-file and --tls-key-file go together")
        }
        let tlsGiven = tlsCaFile != nil || tlsCertFile != nil || tlsInsecure
        if tlsGiven, !RedisURL.usesTLS(redis ?? "") {
            throw ValidationError("the --tls-… options need a rediss:// (or rediss-sentinel://) URL in --redis")
        }
    }

    /// One executor per event loop of NIO's shared group, where the client's connections run: the workers run there
    /// too, as a server's request handlers do, so a command and its reply cost no thread hop.
    var eventLoopExecutors: [EventLoopTaskExecutor] {
        MultiThreadedEventLoopGroup.singleton.makeIterator().map { EventLoopTaskExecutor($0) }
    }

    /// The client configuration for `url` with the TLS options applied and a pool of `connections`.
    func clientConfiguration(url: String) throws -> RedisClientConfiguration {
        var configuration = try RedisClientConfiguration(url: url)
        configuration.pool.connections = .init(minimum: connections, maximum: connections)
        if configuration.connection.tls != nil {
            configuration.connection.tls?.certificateAuthorityFile = tlsCaFile
            configuration.connection.tls?.certificateFile = tlsCertFile
            configuration.connection.tls?.privateKeyFile = tlsKeyFile
            configuration.connection.tls?.insecureSkipVerification = tlsInsecure
        }
        return configuration
    }

    /// The live progress line goes to standard error, only when it is a terminal and no JSON was asked for.
    var showProgress: Bool { !json && isatty(2) == 1 }
}
