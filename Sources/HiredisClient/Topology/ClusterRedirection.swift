// ClusterRedirection: a MOVED or ASK error reply of a cluster node, parsed into the slot and the node to ask.

/// A cluster node's answer that a key's slot is served elsewhere: `MOVED <slot> <host>:<port>` (for good: update
/// the slot map) or `ASK <slot> <host>:<port>` (during a migration: ask that node once, after `ASKING`).
struct ClusterRedirection: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case moved
        case ask
    }

    let kind: Kind
    let slot: RedisHashSlot
    let endpoint: RedisConnectionConfiguration.Endpoint

    /// Parses the error reply; `nil` for any other error. A node that does not know its own address names it as
    /// `:<port>` (or `?:<port>`): it is on `askedHost`, the host of the node that answered.
    init?(_ error: RedisServerError, askedHost: String) {
        let parts = error.message.split(separator: " ")
        guard parts.count == 3 else { return nil }
        switch parts[0] {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        guard let number = Int(parts[1]), let slot = RedisHashSlot(number),
              let colon = parts[2].lastIndex(of: ":"), let port = Int(parts[2][parts[2].index(after: colon)...]),
              (1...65535).contains(port)
        else { return nil }
        var host = String(parts[2][..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty || host == "?" { host = askedHost }
        self.slot = slot
        self.endpoint = .tcp(host: host, port: port)
    }
}
