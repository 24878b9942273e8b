// SessionToken: the secret a client holds: a key version, a routing tag and 256 CSPRNG bits, base64url-encoded.

/// The secret that identifies a session to its client (the cookie value).
///
/// A token is 39 bytes, base64url-encoded without padding into exactly 52 characters:
/// - byte 0: the version of the server secret its storage key is derived with (so secrets can rotate);
/// - bytes 1…6: a routing tag that decides the session's Redis hash slot; it is random for anonymous sessions
///   and derived from the user for sessions bound to one, so that a user's sessions and their index share a
///   slot on Redis Cluster. It carries no secret;
/// - bytes 7…38: 256 bits from the system CSPRNG.
///
/// Parsing is strict (exact length and alphabet) and happens before any Redis call. The token itself never
/// reaches Redis or a log: ``description`` shows only a hash prefix.
public struct SessionToken: Sendable, Hashable, CustomStringConvertible {
    /// The length of a token in characters.
    public static let encodedLength = 52
    package static let byteCount = 39
    static let routingRange = 1..<7

    /// The encoded token, as sent in cookies.
    public let rawValue: String
    package let bytes: [UInt8]

    /// Parses a token; `nil` unless it has exactly 52 base64url characters.
    public init?(_ text: some StringProtocol) {
        let utf8 = Substring(text).utf8
        guard utf8.count == Self.encodedLength, let bytes = Base64URL.decodeExact(utf8), bytes.count == Self.byteCount else {
            return nil
        }
        self.rawValue = String(text)
        self.bytes = bytes
    }

    package init(bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount)
        self.bytes = bytes
        self.rawValue = Base64URL.encode(bytes)
    }

    /// Makes a fresh token with 256 bits from the system CSPRNG.
    package static func generate(keyVersion: UInt8, routing: [UInt8]) -> SessionToken {
        precondition(routing.count == routingRange.count)
        var generator = SystemRandomNumberGenerator()  // getrandom(2) on Linux: a CSPRNG
        var bytes = [keyVersion] + routing
        bytes.reserveCapacity(byteCount)
        for _ in 0..<4 {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return SessionToken(bytes: bytes)
    }

    /// The version of the server secret the token's storage key is derived with.
    public var keyVersion: UInt8 { bytes[0] }

    package var routing: ArraySlice<UInt8> { bytes[Self.routingRange] }

    /// Never the token: a short, non-reversible fingerprint for logs.
    public var description: String { "SessionToken(\(SessionKeyring.fingerprint(of: bytes)))" }

    /// Compares with another token's text in constant time.
    public func matches(_ other: String) -> Bool {
        ConstantTime.equal(Array(rawValue.utf8), Array(other.utf8))
    }
}

/// Comparison that takes the same time whatever the contents, for secrets.
public enum ConstantTime {
    /// `true` when both byte sequences are equal; the time depends only on their lengths.
    public static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
