// swift-tools-version: 6.1
// Package manifest: a Redis-backed distributed session store for server-side Swift, over hiredis.
import PackageDescription

let package = Package(
    name: "swift-redis-sessions",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "HiredisClient", targets: ["HiredisClient"]),
        .library(name: "ConnectionPool", targets: ["ConnectionPool"]),
        .library(name: "SessionStore", targets: ["SessionStore"]),
        .library(name: "RedisSessionStore", targets: ["RedisSessionStore"]),
        .library(name: "SessionTokens", targets: ["SessionTokens"]),
        .library(name: "HummingbirdSessions", targets: ["HummingbirdSessions"]),
        .library(name: "HummingbirdRedisPersist", targets: ["HummingbirdRedisPersist"]),
        .library(name: "VaporSessions", targets: ["VaporSessions"]),
        .executable(name: "session-bench", targets: ["session-bench"]),
        .executable(name: "session-server", targets: ["session-server"]),
    ],
    // OTLPExport: session-server's OTLP/HTTP span exporter (swift-otel, with swift-protobuf: about a minute of cold
    // build). On by default; scripts/test.sh builds with --disable-default-traits, since no test exports spans.
    traits: [
        .trait(name: "OTLPExport", description: "session-server exports spans over OTLP/HTTP with swift-otel"),
        .default(enabledTraits: ["OTLPExport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP/HTTP only: swift-otel's default traits add gRPC (several minutes of cold build).
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // hiredis 0.14 from Debian's libhiredis-dev (pkg-config `hiredis`; its -D_FILE_OFFSET_BITS flag is
        // dropped by SwiftPM with a harmless warning).
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(
            name: "HiredisClient",
            dependencies: [
                "CHiredis",
                "ConnectionPool",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        .target(
            name: "ConnectionPool",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SessionStore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        // Bearer tokens over any store: JWT access tokens (signing, strict verification, JWKS, keys derived from the
        // keyring), rotating refresh-token families (the store protocol), and the local revocation list.
        .target(
            name: "SessionTokens",
            dependencies: [
                "SessionStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        .target(
            name: "RedisSessionStore",
            dependencies: [
                "HiredisClient",
                "SessionStore",
                "SessionTokens",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        // Framework-neutral HTTP pieces of a session middleware (Cookie header scanning, form fields): the
        // parsers of untrusted input, fuzzed on their own (see Fuzz/).
        .target(
            name: "SessionHTTP",
            dependencies: ["SessionStore"]
        ),
        .target(
            name: "HummingbirdSessions",
            dependencies: [
                "SessionStore",
                "SessionTokens",
                "SessionHTTP",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        // Vapor 4 integration over the store protocol only: an AsyncSessionDriver for Vapor's own SessionsMiddleware,
        // and VaporSessionsMiddleware with the Hummingbird middleware's guarantees.
        .target(
            name: "VaporSessions",
            dependencies: [
                "SessionStore",
                "SessionHTTP",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Hummingbird's PersistDriver over the Redis client (for hummingbird-auth's SessionMiddleware).
        .target(
            name: "HummingbirdRedisPersist",
            dependencies: [
                "HiredisClient",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // Starts redis-server processes: the embedded default of session-server and session-bench, and the tests.
        .target(
            name: "EmbeddedRedis",
            dependencies: []
        ),
        // libFuzzer targets for everything that parses untrusted input (scripts/fuzz.sh builds them with
        // -DFUZZING -sanitize=fuzzer,address); built normally, each replays the files it is given.
        .target(name: "FuzzSupport", dependencies: ["HiredisClient"], path: "Fuzz/Support"),
        .executableTarget(name: "fuzz-cookie-header", dependencies: ["FuzzSupport", "SessionHTTP"], path: "Fuzz/CookieHeader"),
        .executableTarget(name: "fuzz-session-token", dependencies: ["FuzzSupport", "RedisSessionStore", "SessionStore"], path: "Fuzz/SessionToken"),
        .executableTarget(name: "fuzz-csrf-token", dependencies: ["FuzzSupport", "SessionHTTP", "SessionStore"], path: "Fuzz/CSRFToken"),
        .executableTarget(name: "fuzz-form-fields", dependencies: ["FuzzSupport", "SessionHTTP"], path: "Fuzz/FormFields"),
        .executableTarget(name: "fuzz-forwarded-for", dependencies: ["FuzzSupport", "SessionHTTP"], path: "Fuzz/ForwardedFor"),
        .executableTarget(name: "fuzz-redis-reply", dependencies: ["FuzzSupport", "HiredisClient"], path: "Fuzz/RedisReply"),
        .executableTarget(name: "fuzz-redis-url", dependencies: ["FuzzSupport", "HiredisClient"], path: "Fuzz/RedisURL"),
        .executableTarget(name: "fuzz-access-token", dependencies: ["FuzzSupport", "SessionTokens", "SessionStore"], path: "Fuzz/AccessToken"),
        .executableTarget(name: "fuzz-packed-metadata", dependencies: ["FuzzSupport", "HiredisClient", "RedisSessionStore", "SessionStore"], path: "Fuzz/PackedMetadata"),
        .executableTarget(
            name: "session-bench",
            dependencies: [
                "HiredisClient",
                "ConnectionPool",
                "RedisSessionStore",
                "EmbeddedRedis",
                "SessionStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "session-server",
            dependencies: [
                "HiredisClient",
                "HummingbirdSessions",
                "RedisSessionStore",
                "EmbeddedRedis",
                "SessionStore",
                "SessionTokens",
                "SessionHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel", condition: .when(traits: ["OTLPExport"])),
            ]
        ),
        .testTarget(
            name: "SessionServerTests",
            dependencies: [
                "session-server",
                "SessionStore",
                "SessionTokens",
                "HiredisClient",
                "EmbeddedRedis",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "SessionTokensTests",
            dependencies: [
                "SessionTokens", "SessionStore", "RedisSessionStore", "HiredisClient", "EmbeddedRedis",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "SessionBenchTests",
            dependencies: [
                "session-bench",
                "EmbeddedRedis",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .testTarget(
            name: "HiredisClientTests",
            dependencies: ["HiredisClient", "ConnectionPool", "EmbeddedRedis"]
        ),
        .testTarget(
            name: "SessionStoreTests",
            dependencies: [
                "SessionStore", "RedisSessionStore", "HiredisClient", "EmbeddedRedis",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "HummingbirdSessionsTests",
            dependencies: [
                "HummingbirdSessions",
                "HummingbirdRedisPersist",
                "SessionHTTP",
                "SessionStore",
                "RedisSessionStore",
                "HiredisClient",
                "EmbeddedRedis",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            ]
        ),
        .testTarget(
            name: "VaporSessionsTests",
            dependencies: [
                "VaporSessions",
                "SessionStore",
                "RedisSessionStore",
                "HiredisClient",
                "EmbeddedRedis",
                .product(name: "VaporTesting", package: "vapor"),
            ]
        ),
        // The whole demo topology (redis-server, three session-server processes, HAProxy with deploy/haproxy.cfg)
        // driven over HTTPS like a black-box client; "session-server" and "session-bench" (the chaos suite's load)
        // are listed so that their executables are built first.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "session-server",
                "session-bench",
                "HiredisClient",
                "EmbeddedRedis",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "ConnectionPoolTests",
            dependencies: [
                "ConnectionPool",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
