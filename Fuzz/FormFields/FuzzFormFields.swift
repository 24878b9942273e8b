// FuzzFormFields: libFuzzer target for the application/x-www-form-urlencoded field reader.

import FuzzSupport
import SessionHTTP

/// Properties: no crash on any body; and any text, percent-encoded as a browser would, decodes back to itself.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let body = String(decoding: input, as: UTF8.self)
    for value in FormFields.values(of: "_csrf", in: body) { precondition(value.utf8.count <= body.utf8.count, "a value longer than the body") }
    let encoded = body.utf8.map { byte in
        let unreserved = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        return unreserved ? String(UnicodeScalar(byte)) : "%" + String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
    }.joined()
    precondition(FormFields.values(of: "_csrf", in: "a=1&_csrf=" + encoded + "&b") == [body], "round trip failed")
    return 0
}

#if FUZZING
@_cdecl("fuzz_form_fields_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
