// RedisCommand: a command encoded once, on the caller's task, as a RESP2 array of bulk strings.

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
    public var byteCount: Int { String(self).utf8.count }
    /// Appends the decimal digits.
    public func appendBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: String(self).utf8) }
}

extension Int64: RedisArgument {
    /// The number of decimal digits (and sign).
    public var byteCount: Int { String(self).utf8.count }
    /// Appends the decimal digits.
    public func appendBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: String(self).utf8) }
}

extension Double: RedisArgument {
    /// The length of the shortest decimal form.
    public var byteCount: Int { "\(self)".utf8.count }
    /// Appends the shortest decimal form that reads back as the same number (Redis accepts it).
    public func appendBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: "\(self)".utf8) }
}

/// One Redis command and its arguments, already encoded as RESP.
///
/// ```swift
/// let reply = try await connection.send(RedisCommand("SET", "greeting", "hello", "EX", 60))
/// ```
public struct RedisCommand: Sendable, CustomStringConvertible {
    /// The command name as given (`GET`, `EVALSHA`, …).
    public let name: String
    /// The encoded command: `*N\r\n` followed by `$len\r\nbytes\r\n` per argument.
    public private(set) var encoded: [UInt8]

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
        var buffer: [UInt8] = []
        buffer.reserveCapacity(32 + name.utf8.count + arguments.count * 24)
        Self.appendDecimal(arguments.count + 1, prefix: UInt8(ascii: "*"), to: &buffer)
        Self.appendBulk(name, to: &buffer)
        for argument in arguments { Self.appendBulk(argument, to: &buffer) }
        self.encoded = buffer
    }

    /// Builds a script call: pre-encoded leading bulks (such as `EVALSHA <sha1>`), then the key count, the keys
    /// and the arguments, without building intermediate arrays.
    init(name: String, encodedLead: [UInt8], leadCount: Int, keys: [any RedisArgument], arguments: [any RedisArgument]) {
        self.name = name
        var buffer: [UInt8] = []
        buffer.reserveCapacity(encodedLead.count + 32 + (keys.count + arguments.count) * 48)
        Self.appendDecimal(leadCount + 1 + keys.count + arguments.count, prefix: UInt8(ascii: "*"), to: &buffer)
        buffer.append(contentsOf: encodedLead)
        Self.appendBulk(keys.count, to: &buffer)
        for key in keys { Self.appendBulk(key, to: &buffer) }
        for argument in arguments { Self.appendBulk(argument, to: &buffer) }
        self.encoded = buffer
    }

    /// The RESP bulk strings of `arguments`, for ``init(name:encodedLead:leadCount:keys:arguments:)``.
    static func encodedBulks(_ arguments: [String]) -> [UInt8] {
        var buffer: [UInt8] = []
        for argument in arguments { appendBulk(argument, to: &buffer) }
        return buffer
    }

    /// A short rendering for logs: the name only, never the arguments (they may hold secrets).
    public var description: String { name }

    private static func appendBulk(_ argument: some RedisArgument, to buffer: inout [UInt8]) {
        appendDecimal(argument.byteCount, prefix: UInt8(ascii: "$"), to: &buffer)
        argument.appendBytes(to: &buffer)
        buffer.append(contentsOf: crlf)
    }

    static func appendDecimal(_ value: Int, prefix: UInt8, to buffer: inout [UInt8]) {
        buffer.append(prefix)
        buffer.append(contentsOf: String(value).utf8)
        buffer.append(contentsOf: crlf)
    }

    private static let crlf: [UInt8] = [13, 10]
}
