// TrustedProxies: the client's address from the connection, or from X-Forwarded-For only behind a trusted proxy.

/// The proxies whose `X-Forwarded-For` is believed (HAProxy in the demo topology), and the resolution of a
/// request's client address.
///
/// With no trusted proxy (the default), the client is the connection's peer and `X-Forwarded-For` is ignored: any
/// client can write that header. When the peer is trusted, the header's entries are read from the right (each
/// proxy appends the address it saw): trusted entries are skipped and the first untrusted one is the client. An
/// entry that does not parse stops the walk at the last address a trusted proxy vouched for.
///
/// ```swift
/// let proxies = try TrustedProxies(["10.0.0.0/8"])
/// let client = proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["203.0.113.7, 10.0.0.9"])  // "203.0.113.7"
/// ```
public struct TrustedProxies: Sendable, Hashable {
    /// The trusted blocks.
    public let blocks: [IPAddressBlock]
    /// The most `X-Forwarded-For` entries read (from the right).
    public static let maximumHops = 32

    /// No trusted proxy: the connection's peer is the client.
    public static let none = TrustedProxies(blocks: [])

    /// Trusts the given blocks.
    public init(blocks: [IPAddressBlock]) { self.blocks = blocks }

    /// Parses CIDR blocks (`10.0.0.0/8`, `::1`, …); surrounding spaces and empty entries are ignored.
    /// - Throws: ``TrustedProxiesError`` naming the first entry that is not a block.
    public init(_ texts: [String]) throws(TrustedProxiesError) {
        var blocks: [IPAddressBlock] = []
        for text in texts {
            let trimmed = text.trimmingSpaces()
            if trimmed.isEmpty { continue }
            guard let block = IPAddressBlock(trimmed) else { throw TrustedProxiesError(entry: String(trimmed.prefix(80))) }
            blocks.append(block)
        }
        self.init(blocks: blocks)
    }

    /// Whether `address` is a trusted proxy.
    public func trusts(_ address: IPAddress) -> Bool { blocks.contains { $0.contains(address) } }

    /// The client's address: the peer's, or with a trusted peer, the rightmost untrusted `X-Forwarded-For` entry.
    /// - Parameters:
    ///   - peer: the connection's remote address text (`nil` when unknown: then `nil` is returned).
    ///   - forwardedFor: the values of every `X-Forwarded-For` header, in order.
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, let peerAddress = IPAddress(peer) else { return nil }
        guard trusts(peerAddress), !forwardedFor.isEmpty else { return peerAddress.description }
        var client = peerAddress
        var hops = 0
        for value in forwardedFor.reversed() {
            for entry in value.split(separator: ",", omittingEmptySubsequences: false).reversed() {
                hops += 1
                guard hops <= Self.maximumHops, let address = IPAddress(entry.trimmingSpaces()) else { return client.description }
                client = address
                if !trusts(address) { return address.description }
            }
        }
        return client.description
    }
}

/// A `--trusted-proxy` entry that is not an address or CIDR block.
public struct TrustedProxiesError: Error, Sendable, CustomStringConvertible {
    /// The entry (cut to 80 characters).
    public let entry: String
    public var description: String { "'\(entry)' is not an IP address or CIDR block (e.g. 10.0.0.0/8, ::1/128)" }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> Substring {
        let text = Substring(self)
        guard let first = text.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = text.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return text[first...last]
    }
}
