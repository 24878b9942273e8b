// RESPReader: decodes RESP bytes into replies with hiredis's reader, independent of any socket (fuzzed).

import CHiredis

/// Turns bytes received from Redis into ``RedisReply`` values, with hiredis's `redisReader` doing the parsing.
///
/// Bytes may arrive in any chunks; ``next()`` returns each complete reply once. A protocol error (malformed RESP,
/// or a reply with more than 8 levels of nested arrays, hiredis 0.14's limit, which its message calls
/// "depth > 7") is a typed ``RedisError`` `.protocolViolation`;
/// after it the reader is spent and every later call throws the same error (the connection must be closed).
/// An array reply may announce at most `maximumArrayElements` elements: hiredis 0.14 allocates 8 bytes per announced
/// element before any arrives, so a larger announcement is refused as a protocol error instead of allocated.
/// Not thread-safe: one owner at a time (a connection's event loop).
package final class RESPReader {
    /// The default cap on the elements of one array reply (about a million).
    package static let defaultMaximumArrayElements = 1 << 20

    private let reader: UnsafeMutablePointer<redisReader>
    private let functions: UnsafeMutablePointer<chiredis_capped_functions>
    private var failure: RedisError?

    package init(maximumArrayElements: Int = RESPReader.defaultMaximumArrayElements) {
        reader = redisReaderCreate()
        functions = .allocate(capacity: 1)
        chiredis_cap_arrays(reader, functions, Int32(clamping: maximumArrayElements))
    }

    deinit {
        redisReaderFree(reader)
        functions.deallocate()
    }

    /// Appends received bytes.
    /// - Throws: ``RedisError`` `.protocolViolation` when the reader already failed.
    package func feed(_ bytes: UnsafeRawBufferPointer) throws(RedisError) {
        if let failure { throw failure }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count) != REDIS_OK { try fail() }
    }

    /// The next complete reply, or `nil` until more bytes arrive.
    /// - Throws: ``RedisError`` `.protocolViolation` for bytes that are not valid RESP.
    package func next() throws(RedisError) -> RedisReply? {
        if let failure { throw failure }
        var raw: UnsafeMutableRawPointer?
        if redisReaderGetReply(reader, &raw) != REDIS_OK { try fail() }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return RedisReply(raw.assumingMemoryBound(to: redisReply.self))
    }

    private func fail() throws(RedisError) -> Never {
        var message = withUnsafeBytes(of: reader.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if reader.pointee.err == REDIS_ERR_OOM {
            message = "an array reply announced more elements than the reader accepts (or memory ran out)"
        }
        let error = RedisError(.protocolViolation, "the server sent bytes that are not valid RESP: \(message)")
        failure = error
        throw error
    }
}
