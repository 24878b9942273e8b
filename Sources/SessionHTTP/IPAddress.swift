// IPAddress: strict parsing of IPv4/IPv6 address text (and CIDR blocks) into 16 comparable bytes.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as 16 bytes (IPv4 as an IPv4-mapped IPv6 address, `::ffff:a.b.c.d`), so that one
/// comparison covers both families.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address's 16 bytes.
    public let bytes: [UInt8]

    /// Parses address text: `203.0.113.7`, `2001:db8::1`; also `[2001:db8::1]`, `[2001:db8::1]:443` and
    /// `203.0.113.7:443` (a port, as some proxies write one, is dropped). `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        var address = Substring(text)
        if address.first == "[" {
            guard let close = address.firstIndex(of: "]") else { return nil }
            let rest = address[address.index(after: close)...]
            guard rest.isEmpty || (rest.first == ":" && rest.dropFirst().allSatisfy(\.isNumber) && rest.count > 1) else { return nil }
            address = address[address.index(after: address.startIndex)..<close]
        } else if address.filter({ $0 == ":" }).count == 1, let colon = address.firstIndex(of: ":") {
            let port = address[address.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isNumber) else { return nil }
            address = address[..<colon]
        }
        guard let parsed = Self.parse(String(address)) else { return nil }
        bytes = parsed
    }

    /// Parses bare address text only (no brackets, no port).
    init?(exactly text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.count <= 64, let parsed = Self.parse(String(text)) else { return nil }
        bytes = parsed
    }

    private static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// Whether it is an IPv4 address (IPv4-mapped).
    public var isIPv4: Bool { bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF }

    /// The conventional text: dotted quad for IPv4, RFC 5952 for IPv6.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        if isIPv4 {
            var v4 = in_addr()
            withUnsafeMutableBytes(of: &v4) { $0.copyBytes(from: bytes[12...]) }
            return inet_ntop(AF_INET, &v4, &buffer, 64) != nil ? String(cString: buffer) : ""
        }
        var v6 = in6_addr()
        withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: bytes) }
        return inet_ntop(AF_INET6, &v6, &buffer, 64) != nil ? String(cString: buffer) : ""
    }
}

/// A block of addresses in CIDR notation: `10.0.0.0/8`, `2001:db8::/32`, or one address (`127.0.0.1`).
public struct IPAddressBlock: Sendable, Hashable, CustomStringConvertible {
    /// The block's first address.
    public let network: IPAddress
    /// The prefix length, counted on the 16-byte form (an IPv4 `/8` is `/104`).
    public let prefixLength: Int

    /// Parses `address/length` or a bare address; `nil` when malformed (or the length is out of range).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(exactly: parts[0]) else { return nil }
        let width = address.isIPv4 ? 32 : 128
        var length = width
        if parts.count == 2 {
            guard parts[1].count <= 3, parts[1].allSatisfy(\.isNumber), let parsed = Int(parts[1]), parsed <= width else { return nil }
            length = parsed
        }
        prefixLength = length + (128 - width)
        network = address
    }

    /// Whether `address` is inside the block.
    public func contains(_ address: IPAddress) -> Bool {
        var remaining = prefixLength
        for index in 0..<16 where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            guard address.bytes[index] & mask == network.bytes[index] & mask else { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String {
        "\(network)/\(network.isIPv4 ? prefixLength - 96 : prefixLength)"
    }
}
