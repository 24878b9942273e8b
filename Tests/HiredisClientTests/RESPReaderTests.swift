// RESPReaderTests: bytes → replies through hiredis's reader: chunking, every reply type, and protocol errors.

@testable import HiredisClient
import Testing

@Suite struct RESPReaderTests {
    func replies(_ text: String, chunk: Int = .max) throws -> [RedisReply] {
        let reader = RESPReader()
        let bytes = Array(text.utf8)
        var replies: [RedisReply] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunk)
            try bytes[start..<end].withUnsafeBytes { try reader.feed($0) }
            while let reply = try reader.next() { replies.append(reply) }
            start = end
        }
        return replies
    }

    @Test func everyReplyTypeWholeOrInPieces() throws {
        let text = "+OK\r\n-ERR no\r\n:-7\r\n$5\r\nhe\r\no\r\n$-1\r\n*2\r\n$0\r\n\r\n*1\r\n:1\r\n"
        let expected: [RedisReply] = [
            .status("OK"), .error(RedisServerError(message: "ERR no")), .integer(-7), .bulk(Array("he\r\no".utf8)), .null,
            .array([.bulk([]), .array([.integer(1)])]),
        ]
        for chunk in [.max, 7, 1] { #expect(try replies(text, chunk: chunk) == expected, "chunks of \(chunk)") }
        #expect(try replies("$10\r\nhel").isEmpty, "an incomplete reply waits for more bytes")
    }

    @Test func protocolErrorsAreTypedAndFinal() throws {
        // hiredis 0.14 takes 8 levels of nested arrays and refuses a 9th ("depth > 7", counted from 0): a typed
        // error, never a crash or a wrong reply.
        let eight = String(repeating: "*1\r\n", count: 8) + ":1\r\n"
        #expect(try replies(eight).count == 1)
        let nine = String(repeating: "*1\r\n", count: 9) + ":1\r\n"
        for bad in [nine, "?x\r\n", "$abc\r\n"] {
            let error = #expect(throws: RedisError.self) { try replies(bad) }
            #expect(error?.code == .protocolViolation, "\(bad.prefix(12))")
        }
        let reader = RESPReader()
        let garbage = Array("!!\r\n".utf8)
        try garbage.withUnsafeBytes { try reader.feed($0) }
        #expect(throws: RedisError.self) { try reader.next() }
        let valid = Array("+OK\r\n".utf8)
        #expect(throws: RedisError.self, "a spent reader stays failed") {
            try valid.withUnsafeBytes { try reader.feed($0) }
        }
    }

    @Test func hugeArrayAnnouncementsAreRefusedNotAllocated() throws {
        // hiredis 0.14 would calloc 8 bytes per announced element (6 GB here) before any element arrived.
        let error = #expect(throws: RedisError.self) { try replies("*777777770\r\n") }
        #expect(error?.code == .protocolViolation)
        let small = RESPReader(maximumArrayElements: 2)
        let two = Array("*2\r\n:1\r\n:2\r\n".utf8)
        try two.withUnsafeBytes { try small.feed($0) }
        #expect(try small.next() == .array([.integer(1), .integer(2)]))
        let three = Array("*3\r\n".utf8)
        try three.withUnsafeBytes { try small.feed($0) }
        #expect(throws: RedisError.self, "over the cap") { try small.next() }
    }
}
