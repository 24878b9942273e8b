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

/// Properties: no crash, no leak (ASan's leak check frees nothing for us), no huge allocation for a huge announced
/// array; the replies do not depend on how the bytes were split into chunks (fed at once, in two pieces, or byte by
/// byte); a protocol error is a typed error.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    // hiredis 0.14 allocates 8 bytes per element an array *announces* before any arrives (this target found
    // `*777777770` → 6 GB); the reader caps announcements (RESPReader.defaultMaximumArrayElements), so no input is
    // skipped.
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
