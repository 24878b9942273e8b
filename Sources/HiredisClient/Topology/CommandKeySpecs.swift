// CommandKeySpecs: where each command's keys are, learnt from the server's COMMAND reply, for routing by hash slot.

/// The key positions of every command a server knows, read from its `COMMAND` reply (name, arity, flags, first key,
/// last key, step, and subcommands such as `object|encoding`), so that a cluster client can find a command's keys
/// without a round trip. Commands whose keys move with their arguments (`movablekeys`) are understood for the
/// script family (`EVAL`, `EVALSHA`, `FCALL` and their `_RO` forms: `numkeys` then the keys); for the others
/// ``keys(of:)`` answers `.unknown`, and the router refuses the command (`.notAllowedHere`) before sending it.
struct CommandKeySpecs: Sendable {
    /// Where a command's keys are: arguments `first`, `first + step`, … up to `last` (negative: from the end).
    struct Spec: Sendable, Equatable {
        var first: Int
        var last: Int
        var step: Int
        var movable: Bool
    }

    /// What ``keys(of:)`` found.
    enum Keys: Equatable {
        /// The command's keys (at least one).
        case keys([ArraySlice<UInt8>])
        /// The command touches no key (`PING`, `INFO`, `SCRIPT LOAD`…): any node can run it.
        case keyless
        /// The server does not know the command, or its keys depend on its arguments in a way not modelled here.
        case unknown
    }

    /// By lowercased name; subcommands as `container|sub`.
    private(set) var specs: [String: Spec] = [:]
    /// The commands that have subcommands (`CLIENT`, `CONFIG`…): only their second argument is looked up too.
    private var containers: Set<String> = []
    /// The movable-key commands whose keys are understood: `numkeys`, then the keys.
    private static let scriptCommands: Set<String> = ["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"]

    /// Reads a `COMMAND` (or `COMMAND INFO …`) reply; `nil` when it is not one.
    init?(command reply: RedisReply) {
        guard let entries = reply.array else { return nil }
        for entry in entries where !entry.isNull {
            guard add(entry) else { return nil }
        }
    }

    private mutating func add(_ entry: RedisReply) -> Bool {
        guard let fields = entry.array, fields.count >= 6, let name = fields[0].string?.lowercased(),
              let flags = fields[2].array, let first = fields[3].int, let last = fields[4].int, let step = fields[5].int
        else { return false }
        specs[name] = Spec(first: first, last: last, step: step, movable: flags.contains { $0.string == "movablekeys" })
        if fields.count >= 10, let subcommands = fields[9].array, !subcommands.isEmpty {
            containers.insert(name)
            for subcommand in subcommands where !add(subcommand) { return false }
        }
        return true
    }

    /// Where the keys of `command` are.
    func keys(of command: RedisCommand) -> Keys {
        let arguments = command.encodedArguments
        guard let name = arguments.first.map({ String(decoding: $0, as: UTF8.self).lowercased() }) else { return .unknown }
        var spec = specs[name]
        if arguments.count > 1, containers.contains(name),
           let sub = specs[name + "|" + String(decoding: arguments[1], as: UTF8.self).lowercased()] {
            spec = sub
        }
        guard let spec else { return .unknown }
        if spec.movable {
            return Self.scriptKeys(name, arguments)
        }
        guard spec.first > 0 else { return .keyless }
        let last = spec.last < 0 ? arguments.count + spec.last : spec.last
        guard spec.step > 0, spec.first < arguments.count, last >= spec.first else { return .unknown }
        let keys = stride(from: spec.first, through: min(last, arguments.count - 1), by: spec.step).map { arguments[$0] }
        return .keys(keys)
    }

    /// `EVAL script numkeys key… arg…` and its family; `.unknown` for other movable-key commands.
    private static func scriptKeys(_ name: String, _ arguments: [ArraySlice<UInt8>]) -> Keys {
        guard scriptCommands.contains(name), arguments.count >= 3,
              let count = Int(String(decoding: arguments[2], as: UTF8.self)), count >= 0, 3 + count <= arguments.count
        else { return .unknown }
        return count == 0 ? .keyless : .keys(Array(arguments[3..<(3 + count)]))
    }

    /// The one slot of `command`'s keys; `nil` for a keyless command.
    /// - Throws: ``RedisError`` `.notAllowedHere` when its keys hash to different slots (a cluster would refuse it
    ///   with `CROSSSLOT`), or when its keys cannot be found without asking the server.
    func slot(of command: RedisCommand) throws(RedisError) -> RedisHashSlot? {
        switch keys(of: command) {
        case .keyless:
            return nil
        case .unknown:
            throw RedisError(.notAllowedHere, "\(command.name): cannot tell its keys, so cannot route it to a cluster node")
        case .keys(let keys):
            let slot = RedisHashSlot(key: keys[0])
            guard keys.dropFirst().allSatisfy({ RedisHashSlot(key: $0) == slot }) else {
                throw RedisError(.notAllowedHere, "\(command.name): its keys hash to different slots; a cluster runs a "
                    + "command on one slot only (give related keys a common {hash tag})")
            }
            return slot
        }
    }
}
