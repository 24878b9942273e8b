// FuzzPackedMetadata: libFuzzer target for decoding a stored session (packed metadata and hash fields).

import FuzzSupport
import HiredisClient
import RedisSessionStore
import SessionStore

let store = try! RedisSessionStore(redis: RecordingRedis(), keyring: .ephemeral())

/// Properties: no crash; the metadata parses exactly when it has 27 bytes, with every field in range; a hash of
/// arbitrary fields (as `HGETALL` returns them) decodes without crashing and never yields a reserved attribute.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let meta = PackedMetadata(Array(input.prefix(27)))
    precondition((meta != nil) == (input.count >= 27), "metadata length check is wrong")
    if let meta {
        precondition(meta.created >= 0 && meta.lastAccess >= meta.created && meta.absoluteExpiry >= meta.created)
        precondition(meta.idle >= 0 && meta.idle < 1 << 32 && meta.revision >= 0 && meta.size < 1 << 24)
        let fields = input.dropFirst(27).split(separator: 0, omittingEmptySubsequences: false).map { RedisReply.bulk(Array($0)) }
        let session = store.decodeSession(SessionIdentity(tag: "fuzz", id: "fuzz"), token: nil, metadata: meta, fields: fields)
        precondition(session.attributeNames.allSatisfy { !$0.isEmpty && !$0.hasPrefix("_") }, "a reserved field became an attribute")
        _ = session.csrfToken
    }
    _ = SessionFamily(encoded: input)
    return 0
}

#if FUZZING
@_cdecl("fuzz_packed_metadata_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
