// RedisCommand: a command encoded once by hiredis, on the caller's task, as a RESP2 array of bulk strings.

import CHiredis

/// A value that can be an argument of a Redis command.
public protocol RedisArgument: Sendable {
    /// How many bytes ``appendBytes(to:)`` appends.
    var byteCount: Int { get }
    /// Appends the argument's bytes (without RESP framing) to `buffer`.
    func appendBytes(to buffer: inout [UInt8])
}

extension String: RedisArgument {
    /// The length of the UTF-8 form.
    public var byteCount: Int { utf8.count }
    /// Appends the UTF-8 bytes of the string.
    public func appendBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}

extension Substring: RedisArgument {
    /// The length of the UTF-8 form.
    public var byteCount: Int { utf8.count }
    /// Appends the UTF-8 bytes of the substring.
    public func appendBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    /// The number of bytes.
    public var byteCount: Int { count }
    /// Appends the bytes as they are.
    public func appendBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension ArraySlice: RedisArgument where Element == UInt8 {
    /// The number of bytes.
    public var byteCount: Int { count }
    /// Appends the bytes as they are.
    public func appendBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension Int: RedisArgument {
    /// The number of decimal digits (and sign).
    public var byteCount: Int { Int64(self).byteCount }
    /// Appends the decimal digits.
    public func appendBytes(to buffer: inout [UInt8]) { Int64(self).appendBytes(to: &buffer) }
}

extension Int64: RedisArgument {
    /// The number of decimal digits (and sign), counted without building a string.
    public var byteCount: Int {
        var count = self < 0 ? 2 : 1
        var rest = self.magnitude
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }

    /// Appends the decimal digits, without building a string.
    public func appendBytes(to buffer: inout [UInt8]) {
        if self < 0 { buffer.append(UInt8(ascii: "-")) }
        let start = buffer.count
        var rest = self.magnitude
        repeat {
            buffer.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        buffer[start...].reverse()
    }
}

extension Double: RedisArgument {
    /// The length of the shortest decimal form.
    public var byteCount: Int { "\(self)".utf8.count }
    /// Appends the shortest decimal form that reads back as the same number (Redis accepts it).
    public func appendBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: "\(self)".utf8) }
}

/// One Redis command and its arguments, encoded as RESP by hiredis (`redisFormatSdsCommandArgv`) on the caller's task.
///
/// ```swift
/// let reply = try await connection.send(RedisCommand("SET", "greeting", "hello", "EX", 60))
/// ```
public struct RedisCommand: Sendable, CustomStringConvertible {
    /// The command name as given (`GET`, `EVALSHA`, …).
    public let name: String
    /// The encoded command: `*N\r\n` followed by `$len\r\nbytes\r\n` per argument.
    public let encoded: [UInt8]

    /// Builds a command from its name and arguments.
    /// - Parameters:
    ///   - name: the command, such as `"GET"`.
    ///   - arguments: its arguments, in order.
    public init(_ name: String, _ arguments: any RedisArgument...) {
        self.init(name, arguments: arguments)
    }

    /// Builds a command from its name and an array of arguments.
    public init(_ name: String, arguments: [any RedisArgument]) {
        self.name = name
        var size = name.utf8.count + 1  // and the final 0
        for argument in arguments { size += argument.byteCount }
        self.encoded = withUnsafeTemporaryAllocation(of: Int.self, capacity: arguments.count + 1) { ends in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(size)
            name.appendBytes(to: &bytes)
            ends[0] = bytes.count
            for (index, argument) in arguments.enumerated() {
                argument.appendBytes(to: &bytes)
                ends[index + 1] = bytes.count
            }
            bytes.append(0)  // never empty, so the buffer has an address (appended here, where the array is unique)
            return Self.format(bytes, ends: UnsafeBufferPointer(ends))
        }
    }

    /// A short rendering for logs: the name only, never the arguments (they may hold secrets).
    public var description: String { name }

    /// Encodes the arguments laid end to end in `bytes` (each ending at the offset in `ends`, then a 0 so that the
    /// buffer has an address) with hiredis.
    private static func format(_ bytes: [UInt8], ends: UnsafeBufferPointer<Int>) -> [UInt8] {
        bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            return withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: ends.count) { argv in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: ends.count) { lengths in
                    var start = 0
                    for (index, end) in ends.enumerated() {
                        argv[index] = base + start
                        lengths[index] = end - start
                        start = end
                    }
                    // The sds variant formats lengths with hiredis's own sdscatfmt instead of sprintf.
                    var target: sds?
                    let length = redisFormatSdsCommandArgv(&target, Int32(ends.count), argv.baseAddress, lengths.baseAddress)
                    guard length >= 0, let target else { fatalError("hiredis could not allocate a command buffer") }
                    defer { redisFreeSdsCommand(target) }
                    return Array(UnsafeRawBufferPointer(start: target, count: Int(length)))
                }
            }
        }
    }
}
