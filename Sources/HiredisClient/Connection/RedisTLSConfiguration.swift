// RedisTLSConfiguration: how a connection verifies the server and identifies itself over TLS (rediss://).

import NIOSSL

/// TLS settings of a connection: server verification (on by default), a private certificate authority, a client
/// certificate for mutual TLS, and the name sent with SNI and checked against the server's certificate.
///
/// ```swift
/// var configuration = try RedisConnectionConfiguration(url: "rediss://redis.internal:6380")
/// configuration.tls?.certificateAuthorityFile = "/etc/redis/ca.crt"
/// ```
/// A TLS failure is ``RedisError/Code/tls``; the client never falls back to plain TCP.
public struct RedisTLSConfiguration: Sendable, Hashable {
    /// PEM file of the certificate authorities to trust; `nil` trusts the system's roots.
    public var certificateAuthorityFile: String?
    /// PEM file of the client certificate (chain) for mutual TLS; needs ``privateKeyFile``.
    public var certificateFile: String?
    /// PEM file of the client certificate's private key.
    public var privateKeyFile: String?
    /// The name sent with SNI and checked against the certificate; `nil` uses the endpoint's host (an IP address is
    /// checked against the certificate's IP entries and sends no SNI).
    public var serverName: String?
    /// Skips certificate verification entirely. For tests only: it lets anyone in the middle read every session.
    public var insecureSkipVerification = false

    /// Creates TLS settings that verify the server against the system's trust roots.
    public init(
        certificateAuthorityFile: String? = nil,
        certificateFile: String? = nil,
        privateKeyFile: String? = nil,
        serverName: String? = nil
    ) {
        self.certificateAuthorityFile = certificateAuthorityFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.serverName = serverName
    }

    /// Builds the NIOSSL context (reads the PEM files once).
    func makeContext() throws(RedisError) -> NIOSSLContext {
        if (certificateFile == nil) != (privateKeyFile == nil) {
            throw RedisError(.invalidConfiguration, "mutual TLS needs both a certificate file and a private key file")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if insecureSkipVerification { tls.certificateVerification = .none }
        do {
            if let certificateAuthorityFile {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificateAuthorityFile))
            }
            if let certificateFile, let privateKeyFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: privateKeyFile, format: .pem))
            }
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw RedisError(.tls, "cannot load the TLS files: \(error)")
        }
    }
}
