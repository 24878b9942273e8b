// RedisCommand+Sharing: which commands a shared (multiplexed) connection refuses, checked before anything is sent.

extension RedisCommand {
    /// Commands that change the connection's state or its reply stream: on a connection other callers share, they
    /// would make caller B read caller D's replies, or turn every later `SET` into a silently lost `QUEUED`.
    static let connectionStateCommands: Set<String> = [
        "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR",
        "SELECT", "SWAPDB", "AUTH", "HELLO", "RESET", "QUIT", "SYNC", "PSYNC", "REPLCONF",
        "WATCH", "UNWATCH", "MULTI", "EXEC", "DISCARD", "READONLY", "READWRITE", "ASKING",
    ]

    /// Commands that hold the connection until data arrives: only an exclusive lease may wait like that.
    static let blockingCommands: Set<String> = [
        "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF",
    ]

    /// `CLIENT` subcommands that change the reply stream or the connection's identity.
    static let connectionStateClientSubcommands: Set<String> = ["REPLY", "TRACKING", "SETNAME", "NO-EVICT", "NO-TOUCH"]

    /// The refused names (and `CLIENT`, `XREAD…`, refused with some arguments), by name length: a command is matched
    /// against the few names of its length, without uppercasing or hashing its name.
    private static let candidatesByLength: [[String]] = {
        let names = connectionStateCommands.union(blockingCommands).union(["CLIENT", "XREAD", "XREADGROUP"])
        var byLength = [[String]](repeating: [], count: (names.map(\.utf8.count).max() ?? 0) + 1)
        for name in names.sorted() { byLength[name.utf8.count].append(name) }
        return byLength
    }()

    /// Why this command may not run on a shared connection, or `nil` when it may.
    var refusalOnSharedConnection: String? {
        let length = name.utf8.count
        guard length < Self.candidatesByLength.count, let upper = Self.candidatesByLength[length].first(where: isNamed) else { return nil }
        if Self.connectionStateCommands.contains(upper) {
            return "\(upper) changes the connection's state or reply stream"
        }
        if Self.blockingCommands.contains(upper) || (upper.hasPrefix("XREAD") && hasArgument("BLOCK")) {
            return "\(upper) blocks the connection"
        }
        if upper == "CLIENT", let subcommand = Self.connectionStateClientSubcommands.first(where: hasArgument) {
            return "CLIENT \(subcommand) changes the connection's state or reply stream"
        }
        return nil
    }

    /// Whether the command's name is `upper` (ASCII, case-insensitive), without allocating.
    func isNamed(_ upper: String) -> Bool {
        name.utf8.count == upper.utf8.count
            && zip(name.utf8, upper.utf8).allSatisfy { ($0 >= 97 && $0 <= 122 ? $0 - 32 : $0) == $1 }
    }

    /// Whether one of the command's arguments is `word` (ASCII, case-insensitive); scans the encoded bulks.
    func hasArgument(_ word: String) -> Bool {
        let needle = Array(word.utf8)
        return encodedArguments.contains { argument in
            argument.count == needle.count
                && zip(argument, needle).allSatisfy { ($0 >= 97 && $0 <= 122 ? $0 - 32 : $0) == $1 }
        }
    }
}

extension Array where Element == RedisCommand {
    /// Why this pipeline may not run on a shared connection, or `nil` when it may. A `MULTI … EXEC` (or `DISCARD`)
    /// written contiguously is allowed: it starts and ends within the batch, so nobody else's command falls inside.
    var refusalOnSharedConnection: String? {
        var inTransaction = false
        for command in self {
            guard let refusal = command.refusalOnSharedConnection else { continue }
            if !inTransaction && command.isNamed("MULTI") {
                inTransaction = true
            } else if inTransaction && (command.isNamed("EXEC") || command.isNamed("DISCARD")) {
                inTransaction = false
            } else {
                return refusal
            }
        }
        return inTransaction ? "a MULTI without its EXEC would leave the shared connection inside a transaction" : nil
    }
}
