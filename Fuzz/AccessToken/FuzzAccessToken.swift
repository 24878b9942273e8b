// FuzzAccessToken: libFuzzer target for access-token verification (placeholder until the JWT code lands).

import FuzzSupport

func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { 0 }

#if FUZZING
@_cdecl("fuzz_access_token_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
