// FuzzRedisReply: libFuzzer target for the reply path: bytes → hiredis's reader → RedisReply.

import FuzzSupport
import HiredisClient

/// Every reply the bytes hold, then `nil` (all complete) or the protocol error's message.
func decode(_ chunks: [ArraySlice<UInt8>]) -> ([RedisReply], String?) {
    let reader = RESPReader()
    var replies: [RedisReply] = []
    do {
        for chunk in chunks {
            try chunk.withUnsafeBytes { try reader.feed($0) }
            while let reply = try reader.next() { replies.append(reply) }
        }
        return (replies, nil)
    } catch {
        return (replies, "\(error)")
    }
}

/// `true` when the bytes hold `*` followed by 7 or more digits (an array of a million elements or more).
func announcesHugeArray(_ input: [UInt8]) -> Bool {
    var index = 0
    while index < input.count {
        if input[index] == UInt8(ascii: "*") {
            var end = index + 1
            if end < input.count && input[end] == UInt8(ascii: "-") { end += 1 }
            var digits = 0
            while end < input.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(input[end]) { digits += 1; end += 1 }
            if digits >= 7 { return true }
        }
        index += 1
    }
    return false
}

/// Properties: no crash, no leak (ASan's leak check frees nothing for us); the replies do not depend on how the
/// bytes were split into chunks (fed at once, in two pieces, or byte by byte); a protocol error is a typed error.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    // Known limitation of hiredis 0.14, found by this target: the reader allocates 8 bytes per element an array
    // *announces* (`*777777770` → 6 GB) before any element arrives. Inputs announcing a million elements or more
    // are skipped so that the fuzzer keeps looking for everything else (see README, "Errors are typed").
    if announcesHugeArray(input) { return 0 }
    let whole = decode([input[...]])
    let cut = input.isEmpty ? 0 : Int(input[0]) % (input.count + 1)
    let halves = decode([input[..<cut], input[cut...]])
    precondition(whole.0 == halves.0 && (whole.1 == nil) == (halves.1 == nil), "replies depend on the chunking")
    if input.count <= 64 {
        let bytewise = decode(input.indices.map { input[$0...$0] })
        precondition(whole.0 == bytewise.0 && (whole.1 == nil) == (bytewise.1 == nil), "replies depend on byte-wise feeding")
    }
    return 0
}

#if FUZZING
@_cdecl("fuzz_redis_reply_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
