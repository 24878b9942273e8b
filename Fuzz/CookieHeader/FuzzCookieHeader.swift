// FuzzCookieHeader: libFuzzer target for the Cookie header scanner (session-token candidates).

import FuzzSupport
import SessionHTTP

/// Properties: no crash; every candidate is a well-formed token that stands in the input, with no duplicates.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: bytes(data, size), as: UTF8.self)
    let headers = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let candidates = CookieHeader.sessionTokens(named: "__Host-sid", in: headers)
    precondition(Set(candidates).count == candidates.count, "duplicate candidates")
    for candidate in candidates {
        precondition(looksLikeToken(candidate), "a malformed value became a candidate")
        precondition(text.contains(candidate), "a candidate that is not in the input")
    }
    return 0
}

#if FUZZING
@_cdecl("fuzz_cookie_header_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
