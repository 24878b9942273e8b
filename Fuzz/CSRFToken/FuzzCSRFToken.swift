// FuzzCSRFToken: libFuzzer target for the CSRF token check's input (header value, or the form field).

import FuzzSupport
import SessionHTTP
import SessionStore

let expected = Array("k5n2GQeQjI3l3Xx2t0nq2Cq4sY0wM1XHqv6X7l2c0aE".utf8)

/// Properties: no crash; the constant-time comparison agrees with `==` for any supplied value, from the header
/// (the raw input) or from the `_csrf` field of the input read as a form body.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    precondition(ConstantTime.equal(input, expected) == (input == expected), "header comparison is wrong")
    precondition(ConstantTime.equal(input, input), "a value must equal itself")
    for value in FormFields.values(of: "_csrf", in: String(decoding: input, as: UTF8.self)) {
        let supplied = Array(value.utf8)
        precondition(ConstantTime.equal(supplied, expected) == (supplied == expected), "form comparison is wrong")
    }
    return 0
}

#if FUZZING
@_cdecl("fuzz_csrf_token_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
