// FuzzRedisURL: libFuzzer target for Redis URL parsing (redis://, unix://).

import FuzzSupport
import HiredisClient

/// Properties: no crash; a parsed TCP endpoint has a host and a port in 1...65535, a parsed database is not
/// negative; an error never shows the password of the redis:// URL it refuses.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = String(decoding: bytes(data, size), as: UTF8.self)
    do {
        let configuration = try RedisURL.parse(url)
        if case .tcp(let host, let port) = configuration.endpoint {
            precondition(!host.isEmpty && (1...65535).contains(port), "a parsed endpoint out of range")
        }
        precondition(configuration.database >= 0, "a negative database")
    } catch {
        // redis://user:PASSWORD@… — a refusal must not repeat the password. (Redaction knows the well-formed places
        // of a password: this userinfo, and `password=` in a unix:// query.)
        if let scheme = url.firstRange(of: "://"), ["redis", "rediss"].contains(url[..<scheme.lowerBound].lowercased()),
           let at = url[scheme.upperBound...].lastIndex(of: "@"),
           let colon = url[scheme.upperBound..<at].firstIndex(of: ":") {
            let password = String(url[url.index(after: colon)..<at])
            // Unless the same text also stands elsewhere in the URL, the error must not contain it. (firstRange: the
            // standard library's search; Foundation's contains traps on some Substring arguments.)
            let elsewhere = String(url[...colon]) + "***" + String(url[at...])
            if password.count >= 6 && elsewhere.firstRange(of: password) == nil {
                precondition(error.description.firstRange(of: password) == nil, "an error shows the password")
            }
        }
    }
    return 0
}

#if FUZZING
@_cdecl("fuzz_redis_url_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
