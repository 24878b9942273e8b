// ClusterSlotMap: which primary serves each hash slot, read from CLUSTER SHARDS (or CLUSTER SLOTS) and kept by MOVED.

/// Which node serves each of a cluster's 16,384 hash slots: its primary, and the replicas known to be online.
///
/// Built from a node's `CLUSTER SHARDS` (Redis ≥ 7.0) or, on older servers, `CLUSTER SLOTS`
/// (``init(shards:askedHost:tls:)``, ``init(slots:askedHost:)``). A node that reports its address as empty or `?`
/// is reachable at the host that was asked. `MOVED` answers update one slot (``moved(_:to:)``) until the next full
/// refresh.
struct ClusterSlotMap: Sendable, Equatable {
    typealias Endpoint = RedisConnectionConfiguration.Endpoint

    /// A primary and its online replicas.
    struct Shard: Sendable, Hashable {
        var primary: Endpoint
        var replicas: [Endpoint]
    }

    /// Every shard that owns at least one slot (a node's `MOVED` may add one).
    private(set) var shards: [Shard] = []
    /// For each slot, the index of its shard in ``shards``; `-1` while unassigned.
    private var owners = [Int16](repeating: -1, count: RedisHashSlot.count)

    /// The primary serving `slot`, or `nil` when no node claims it.
    func primary(for slot: RedisHashSlot) -> Endpoint? {
        let owner = owners[slot.value]
        return owner < 0 ? nil : shards[Int(owner)].primary
    }

    /// Every primary, once each, in the order their shards were read.
    var primaries: [Endpoint] { shards.map(\.primary) }

    /// Whether every slot has an owner (a cluster in `cluster_state:ok` has).
    var coversEverySlot: Bool { !owners.contains(-1) }

    /// Records a `MOVED <slot> <endpoint>`: the slot is now served by that node (a primary, perhaps new to the map).
    mutating func moved(_ slot: RedisHashSlot, to endpoint: Endpoint) {
        owners[slot.value] = Int16(shardIndex(of: endpoint))
    }

    private mutating func shardIndex(of primary: Endpoint) -> Int {
        if let index = shards.firstIndex(where: { $0.primary == primary }) { return index }
        shards.append(Shard(primary: primary, replicas: []))
        return shards.count - 1
    }

    private mutating func assign(_ range: ClosedRange<Int>, to shard: Shard) {
        let index = shardIndex(of: shard.primary)
        shards[index].replicas = shard.replicas
        for slot in range where (0..<RedisHashSlot.count).contains(slot) { owners[slot] = Int16(index) }
    }

    /// Reads a `CLUSTER SHARDS` reply (RESP2: each shard a flat `["slots", [start, end, …], "nodes", [node…]]`, each
    /// node a flat map with `ip`, `endpoint`, `port`, `tls-port`, `role`, `health`); `nil` when it is not one.
    /// - Parameters:
    ///   - askedHost: the host of the node that answered (for nodes that do not know their own address).
    ///   - tls: connect over TLS: use each node's `tls-port` when it reports one.
    init?(shards reply: RedisReply, askedHost: String, tls: Bool) {
        guard let shards = reply.array else { return nil }
        for shard in shards {
            guard let fields = Self.map(shard), let slots = fields["slots"]?.array, let nodes = fields["nodes"]?.array,
                  slots.count % 2 == 0
            else { return nil }
            var primary: Endpoint?
            var replicas: [Endpoint] = []
            for node in nodes {
                guard let node = Self.map(node), let role = node["role"]?.string else { return nil }
                let port = (tls ? node["tls-port"]?.int : nil) ?? node["port"]?.int
                guard let port, let endpoint = Self.endpoint(host: node["endpoint"]?.string ?? node["ip"]?.string,
                                                              port: port, askedHost: askedHost)
                else {
                    // A replica we cannot reach is only left out; a primary we cannot reach makes the map useless.
                    if role == "master" { return nil }
                    continue
                }
                if role == "master" {
                    // Right after a failover the failed old primary may still be listed beside the promoted one.
                    if primary == nil || node["health"]?.string == "online" { primary = endpoint }
                } else if node["health"]?.string == "online" {
                    replicas.append(endpoint)
                }
            }
            // A shard with slots but no primary is mid-failover: its slots stay unassigned until the next refresh.
            guard let primary else { continue }
            for pair in stride(from: 0, to: slots.count, by: 2) {
                guard let start = slots[pair].int, let end = slots[pair + 1].int, start <= end else { return nil }
                assign(start...end, to: Shard(primary: primary, replicas: replicas))
            }
        }
    }

    /// Reads a `CLUSTER SLOTS` reply (`[[start, end, [host, port, id, …], replica…], …]`); `nil` when it is not one.
    init?(slots reply: RedisReply, askedHost: String) {
        guard let ranges = reply.array else { return nil }
        for range in ranges {
            guard let parts = range.array, parts.count >= 3, let start = parts[0].int, let end = parts[1].int, start <= end
            else { return nil }
            var nodes: [Endpoint] = []
            for node in parts.dropFirst(2) {
                guard let fields = node.array, fields.count >= 2, let port = fields[1].int,
                      let endpoint = Self.endpoint(host: fields[0].string, port: port, askedHost: askedHost)
                else { return nil }
                nodes.append(endpoint)
            }
            assign(start...end, to: Shard(primary: nodes[0], replicas: Array(nodes.dropFirst())))
        }
    }

    /// A node's endpoint; an empty or `?` host is the asked node's.
    private static func endpoint(host: String?, port: Int, askedHost: String) -> Endpoint? {
        guard (1...65535).contains(port) else { return nil }
        let host = host ?? ""
        return .tcp(host: host.isEmpty || host == "?" ? askedHost : host, port: port)
    }

    /// A RESP2 flat map (`[key, value, key, value, …]`) as a dictionary.
    private static func map(_ reply: RedisReply) -> [String: RedisReply]? {
        guard let items = reply.array, items.count % 2 == 0 else { return nil }
        var fields: [String: RedisReply] = [:]
        for index in stride(from: 0, to: items.count, by: 2) {
            guard let key = items[index].string else { return nil }
            fields[key] = items[index + 1]
        }
        return fields
    }
}
