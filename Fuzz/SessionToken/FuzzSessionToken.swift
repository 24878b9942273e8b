// FuzzSessionToken: libFuzzer target for token parsing, and the guarantee that malformed tokens never reach Redis.

import FuzzSupport
import RedisSessionStore
import SessionStore

let redis = RecordingRedis()
let keyring = try! SessionKeyring(secrets: "1:fuzz-secret-0123456789abcdef0123456789")
let store = try! RedisSessionStore(redis: redis, keyring: keyring)

/// Properties: no crash; a token parses exactly when it has the token's shape, and round-trips; its description
/// never contains it; a malformed (or foreign-version) token is no session, decided without any Redis command.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: bytes(data, size), as: UTF8.self)
    let token = SessionToken(text)
    precondition((token != nil) == looksLikeToken(text), "token shape check disagrees")
    if let token {
        precondition(token.rawValue == text && SessionToken(token.rawValue) == token, "token does not round-trip")
        precondition(!token.description.contains(text), "a token's description shows the token")
    }
    if token == nil || token!.keyVersion != 1 {
        let before = redis.commands
        let loaded = blocking { try? await store.load(text) }
        precondition(loaded == nil && redis.commands == before, "a malformed token reached Redis")
    }
    return 0
}

#if FUZZING
@_cdecl("fuzz_session_token_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
