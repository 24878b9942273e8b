// ConnectOptionsTests: AUTH with ACL users, Unix sockets, SELECT, CLIENT SETNAME and connect timeouts.

import Foundation
import Glibc
import HiredisClient
import EmbeddedRedis
import Testing

@Suite("Connection options against a real redis-server")
struct ConnectOptionsTests {
    @Test("an ACL user authenticates; a wrong password is a clear authenticationFailed error")
    func aclAuthentication() async throws {
        let server = try await RedisServerProcess.start(extraArguments: ["--requirepass", "adminpass"])
        let admin = try await RedisConnection.connect(configuration: .init(url: "redis://:adminpass@127.0.0.1:\(server.port)"))
        try await admin.send("ACL", "SETUSER", "app", "on", ">app-secret", "~*", "+@all")
        admin.close()

        var configuration = try RedisConnectionConfiguration(url: "redis://app:app-secret@127.0.0.1:\(server.port)/3")
        configuration.clientName = "tests-app"
        let app = try await RedisConnection.connect(configuration: configuration)
        #expect(try await app.send("ACL", "WHOAMI").string == "app")
        #expect(try await app.send("CLIENT", "GETNAME").string == "tests-app")
        try await app.send("SET", "in-db-3", "yes")
        #expect(try await app.send("CLIENT", "INFO").string?.contains("db=3") == true)
        app.close()

        let wrong = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: .init(url: "redis://app:nope@127.0.0.1:\(server.port)"))
        }
        #expect(wrong?.code == .authenticationFailed)
        #expect(wrong?.message.contains("WRONGPASS") == true)
        #expect(wrong?.description.contains("nope") == false)

        // Without credentials the handshake's PING is refused: the connection never reaches a caller.
        let noAuth = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: .init(url: server.url))
        }
        #expect(noAuth?.code == .authenticationFailed)
        #expect(noAuth?.serverError?.code == "NOAUTH")
    }

    @Test("connects over a Unix socket")
    func unixSocket() async throws {
        let server = try await RedisServerProcess.start()
        let connection = try await RedisConnection.connect(configuration: .init(url: "unix://\(server.socketPath)?db=2"))
        defer { connection.close() }
        #expect(try await connection.send("PING") == .status("PONG"))
        #expect(try await connection.send("CLIENT", "INFO").string?.contains("db=2") == true)
    }

    @Test("refused connections fail at once with connectFailed")
    func connectionRefused() async throws {
        let port = try RedisServerProcess.freeLoopbackPort()
        let error = await #expect(throws: RedisError.self) {
            try await RedisConnection.connect(configuration: .init(url: "redis://127.0.0.1:\(port)"))
        }
        #expect(error?.code == .connectFailed)
    }

    @Test("the connect timeout bounds a server that accepts but never answers the handshake")
    func connectTimeoutBoundsHandshake() async throws {
        let listener = try SilentListener()
        var configuration = try RedisConnectionConfiguration(url: "redis://:pw@127.0.0.1:\(listener.port)")
        configuration.timeouts.connect = .milliseconds(300)
        let start = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) { try await RedisConnection.connect(configuration: configuration) }
        #expect(error?.code == .connectTimeout)
        // The failure happens on the event loop at 300 ms; the bound is loose because, while the whole suite starts
        // its redis-servers, resuming this task can wait for a cooperative thread. Unbounded, it would never end.
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test("the connect timeout also bounds name resolution")
    func connectTimeoutBoundsResolution() async throws {
        var configuration = RedisConnectionConfiguration(endpoint: .tcp(host: "redis.session-tests.invalid", port: 6379))
        configuration.timeouts.connect = .milliseconds(300)
        let start = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) { try await RedisConnection.connect(configuration: configuration) }
        #expect(error?.code == .connectTimeout || error?.code == .connectFailed)
        #expect(ContinuousClock.now - start < .seconds(3), "resolution is bounded (see connectTimeoutBoundsHandshake)")
    }

    @Test("invalid configuration is refused before connecting")
    func invalidConfiguration() async throws {
        var configuration = RedisConnectionConfiguration()
        configuration.clientName = "has space"
        let error = await #expect(throws: RedisError.self) { try await RedisConnection.connect(configuration: configuration) }
        #expect(error?.code == .invalidConfiguration)
    }
}

/// A TCP listener that accepts connections (the kernel does, via the backlog) but never reads or answers.
final class SilentListener: Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw RedisServerProcess.StartError(description: "cannot listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
