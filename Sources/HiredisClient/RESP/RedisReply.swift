// RedisReply: a RESP2 reply as a Swift value, with typed conversions.

import CHiredis

/// A reply from Redis (RESP2).
///
/// Bulk strings are copied once out of the hiredis reply into a byte array and are never copied again
/// unless you ask for a `String`.
public enum RedisReply: Sendable, Hashable {
    /// A simple string, such as `OK` or `PONG`.
    case status(String)
    /// An error reply, such as `WRONGTYPE …` or `NOSCRIPT …`.
    case error(RedisServerError)
    /// An integer reply.
    case integer(Int64)
    /// A bulk string: arbitrary bytes.
    case bulk([UInt8])
    /// A null bulk string or null array.
    case null
    /// An array of replies (possibly nested).
    case array([RedisReply])
}

extension RedisReply {
    /// `true` for a null reply.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The reply as text: a bulk string decoded as UTF-8, or a status string; `nil` otherwise.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// The bytes of a bulk string, or the UTF-8 bytes of a status string; `nil` otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// The reply as an integer: an integer reply, or a bulk string holding a decimal integer; `nil` otherwise.
    public var int: Int? {
        switch self {
        case .integer(let value): Int(exactly: value)
        case .bulk(let bytes): Int(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The elements of an array reply; `nil` otherwise.
    public var array: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Converts the reply to a Swift type.
    ///
    /// ```swift
    /// let count = try await connection.send("INCR", "hits").decode(as: Int.self)
    /// ```
    /// - Throws: ``RedisError`` with code `.unexpectedReply` when the reply does not have that shape, or the
    ///   server error when the reply is an error.
    public func decode<Value: RedisReplyDecodable>(as type: Value.Type = Value.self) throws(RedisError) -> Value {
        if case .error(let error) = self { throw RedisError.server(error) }
        return try Value(reply: self)
    }
}

/// A type that can be built from a ``RedisReply``.
public protocol RedisReplyDecodable {
    /// Builds the value from a reply.
    /// - Throws: ``RedisError`` `.unexpectedReply` when the reply does not fit.
    init(reply: RedisReply) throws(RedisError)
}

extension String: RedisReplyDecodable {
    /// Decodes a bulk or status string.
    public init(reply: RedisReply) throws(RedisError) {
        guard let value = reply.string else { throw .unexpectedReply(reply, expected: "a string") }
        self = value
    }
}

extension Int: RedisReplyDecodable {
    /// Decodes an integer reply or a bulk string holding a decimal integer.
    public init(reply: RedisReply) throws(RedisError) {
        guard let value = reply.int else { throw .unexpectedReply(reply, expected: "an integer") }
        self = value
    }
}

extension Double: RedisReplyDecodable {
    /// Decodes an integer reply or a bulk string holding a number.
    public init(reply: RedisReply) throws(RedisError) {
        switch reply {
        case .integer(let value): self = Double(value)
        case .bulk(let bytes):
            guard let value = Double(String(decoding: bytes, as: UTF8.self)) else {
                throw .unexpectedReply(reply, expected: "a number")
            }
            self = value
        default: throw .unexpectedReply(reply, expected: "a number")
        }
    }
}

extension Bool: RedisReplyDecodable {
    /// Decodes an integer reply (0 or 1) or an `OK` status.
    public init(reply: RedisReply) throws(RedisError) {
        switch reply {
        case .integer(let value): self = value != 0
        case .status("OK"): self = true
        default: throw .unexpectedReply(reply, expected: "a boolean (integer or OK)")
        }
    }
}

extension Array: RedisReplyDecodable where Element: RedisReplyDecodable {
    /// Decodes an array reply element by element (a bulk string decodes as `[UInt8]`).
    public init(reply: RedisReply) throws(RedisError) {
        switch reply {
        case .array(let elements):
            var result: [Element] = []
            result.reserveCapacity(elements.count)
            for element in elements { result.append(try Element(reply: element)) }
            self = result
        case .bulk(let bytes) where Element.self == UInt8.self:
            self = bytes as! [Element]
        default:
            throw .unexpectedReply(reply, expected: "an array")
        }
    }
}

extension UInt8: RedisReplyDecodable {
    /// Decodes an integer reply in 0...255 (needed so that `[UInt8]` decodes bulk strings).
    public init(reply: RedisReply) throws(RedisError) {
        guard case .integer(let value) = reply, let byte = UInt8(exactly: value) else {
            throw .unexpectedReply(reply, expected: "a byte")
        }
        self = byte
    }
}

extension Optional: RedisReplyDecodable where Wrapped: RedisReplyDecodable {
    /// Decodes a null reply as `nil`, anything else as the wrapped type.
    public init(reply: RedisReply) throws(RedisError) {
        self = reply.isNull ? nil : try Wrapped(reply: reply)
    }
}

extension RedisReply: CustomStringConvertible {
    /// A short, readable rendering (bulk strings longer than 64 bytes are cut).
    public var description: String {
        switch self {
        case .status(let text): return "+\(text)"
        case .error(let error): return "-\(error.message)"
        case .integer(let value): return ":\(value)"
        case .null: return "(null)"
        case .bulk(let bytes):
            let shown = String(decoding: bytes.prefix(64), as: UTF8.self)
            return bytes.count > 64 ? "\"\(shown)…\" (\(bytes.count) bytes)" : "\"\(shown)\""
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

extension RedisReply {
    /// Copies a hiredis reply tree into Swift values (bulk bytes are copied exactly once).
    init(_ reply: UnsafePointer<redisReply>) {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            self = .bulk(value.len == 0 ? [] : Array(UnsafeRawBufferPointer(start: value.str, count: value.len)))
        case REDIS_REPLY_STATUS:
            self = .status(Self.text(value))
        case REDIS_REPLY_ERROR:
            self = .error(RedisServerError(message: Self.text(value)))
        case REDIS_REPLY_INTEGER:
            self = .integer(value.integer)
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = value.element[index] { elements.append(RedisReply(element)) }
            }
            self = .array(elements)
        default:
            self = .null
        }
    }

    private static func text(_ reply: redisReply) -> String {
        String(decoding: UnsafeRawBufferPointer(start: reply.str, count: reply.len), as: UTF8.self)
    }
}
