// TLSCertificates: a throwaway certificate authority with server and client certificates, made with openssl.

import Foundation

/// PEM files for running a redis-server with TLS on loopback: a private CA, a server certificate for the name
/// `localhost` only (so that a client must check the name: connecting to `127.0.0.1` without naming `localhost`
/// fails verification) signed by it, a client certificate for mutual TLS, and an unrelated CA (for "unknown authority"
/// checks). Made with the `openssl` command in a directory of their own; for demos and tests, never production.
public struct TLSCertificates: Sendable {
    /// The directory holding the files.
    public let directory: String
    /// The CA that signed the server and client certificates.
    public var caFile: String { directory + "/ca.pem" }
    /// The server's certificate and key.
    public var serverCertificateFile: String { directory + "/server.pem" }
    public var serverKeyFile: String { directory + "/server.key" }
    /// A client certificate and key signed by the CA (mutual TLS).
    public var clientCertificateFile: String { directory + "/client.pem" }
    public var clientKeyFile: String { directory + "/client.key" }
    /// A CA that signed nothing here.
    public var otherCAFile: String { directory + "/other-ca.pem" }

    /// Makes the files in a new temporary directory.
    /// - Throws: ``RedisServerProcess/StartError`` when `openssl` is missing or fails.
    public static func make() async throws -> TLSCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-tls-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = TLSCertificates(directory: directory)
        try "subjectAltName=DNS:localhost\n".write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.pem"],
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other-ca", "-keyout", "other-ca.key", "-out", "other-ca.pem"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
             "-extfile", "server.ext", "-out", "server.pem"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=session-client", "-keyout", "client.key", "-out", "client.csr"],
            ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", "client.pem"],
        ]
        for step in steps { try await openssl(step, in: directory) }
        return certificates
    }

    /// `redis-server` options that add a TLS port with these files (client certificates optional unless
    /// `requireClientCertificates`).
    public func serverArguments(tlsPort: Int, requireClientCertificates: Bool = false) -> [String] {
        ["--tls-port", "\(tlsPort)", "--tls-cert-file", serverCertificateFile, "--tls-key-file", serverKeyFile,
         "--tls-ca-cert-file", caFile, "--tls-auth-clients", requireClientCertificates ? "yes" : "optional"]
    }

    private static func openssl(_ arguments: [String], in directory: String) async throws {
        guard let executable = RedisServerProcess.executablePath(named: "openssl") else {
            throw RedisServerProcess.StartError(description: "openssl is not installed: run `apt-get install -y openssl`")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try ChildProcesses.run(process)
        guard await ChildProcesses.waitForExit(process, timeout: .seconds(30)), process.terminationStatus == 0 else {
            throw RedisServerProcess.StartError(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed")
        }
    }
}
