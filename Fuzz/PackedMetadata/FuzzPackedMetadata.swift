// FuzzPackedMetadata: libFuzzer target for decoding a stored session (packed metadata and hash fields).

import FuzzSupport
import HiredisClient
import RedisSessionStore
import SessionStore

let store = try! RedisSessionStore(redis: RecordingRedis(), keyring: .ephemeral())

/// The layout the Lua scripts pack with `struct.pack('>I6I5I5I4I4I3', …)`, written independently of the parser.
func packed(_ meta: PackedMetadata) -> [UInt8] {
    func bigEndian(_ value: Int64, _ width: Int) -> [UInt8] { (0..<width).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    return bigEndian(meta.created, 6) + bigEndian(meta.lastAccess - meta.created, 5) + bigEndian(meta.absoluteExpiry - meta.created, 5)
        + bigEndian(meta.idle, 4) + bigEndian(meta.revision, 4) + bigEndian(meta.size, 3)
}

/// Properties: no crash; the metadata parses exactly when it has 27 bytes, and re-packs to the same bytes; a hash of
/// arbitrary fields (as `HGETALL` returns them) decodes without crashing and never yields a reserved attribute.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let meta = PackedMetadata(Array(input.prefix(27)))
    precondition((meta != nil) == (input.count >= 27), "metadata length check is wrong")
    if let meta {
        precondition(packed(meta) == Array(input.prefix(27)), "the metadata does not round-trip")
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
