// RedisCommand+Arguments: the command's name and arguments read back out of its encoding (for routing by key).

extension RedisCommand {
    /// The encoded bulks, the name first: `[GET, key]` from `*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n`.
    var encodedArguments: [ArraySlice<UInt8>] {
        var arguments: [ArraySlice<UInt8>] = []
        guard let first = encoded.firstIndex(of: 10) else { return [] }
        var index = first + 1
        while index < encoded.endIndex, encoded[index] == UInt8(ascii: "$") {
            guard let lineEnd = encoded[index...].firstIndex(of: 10) else { break }
            var length = 0
            for digit in encoded[(index + 1)..<(lineEnd - 1)] { length = length * 10 + Int(digit &- UInt8(ascii: "0")) }
            let start = lineEnd + 1
            guard start + length <= encoded.endIndex else { break }
            arguments.append(encoded[start..<(start + length)])
            index = start + length + 2
        }
        return arguments
    }
}
