// FuzzCSRFToken: libFuzzer target for the CSRF check's input: header values, content type and form body.

import FuzzSupport
import SessionHTTP

let sessionToken = "k5n2GQeQjI3l3Xx2t0nq2Cq4sY0wM1XHqv6X7l2c0aE"

/// Properties: no crash on any header values, content type and body (the input split at NUL bytes); the token
/// comes from the one header, else (no header, a form) from the one `_csrf` field, else there is none; two
/// headers or two fields supply nothing; the constant-time check agrees with `==` on the supplied token, both
/// against the session's token and against itself.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let parts = bytes(data, size).split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    let headers = parts[0].isEmpty ? [] : parts[0].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let contentType = parts.count > 1 ? parts[1] : nil
    let body = parts.count > 2 ? parts[2] : ""
    let form = CSRFInput.isForm(contentType: contentType) ? body : nil
    let supplied = CSRFInput.supplied(headerValues: headers, formBody: form, field: "_csrf")
    switch headers.count {
    case 1: precondition(supplied == headers[0], "the one header must be the token")
    case 0:
        let fields = form.map { FormFields.values(of: "_csrf", in: $0) } ?? []
        precondition(supplied == (fields.count == 1 ? fields[0] : nil), "the one form field must be the token")
    default: precondition(supplied == nil, "several headers must supply nothing")
    }
    if let supplied {
        precondition(CSRFInput.matches(supplied, expected: sessionToken) == (supplied == sessionToken), "comparison is wrong")
        precondition(CSRFInput.matches(supplied, expected: supplied), "a token must match itself")
        precondition(!CSRFInput.matches(supplied + "x", expected: supplied), "a longer token must not match")
    }
    return 0
}

#if FUZZING
@_cdecl("fuzz_csrf_token_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
