// FuzzRedisURL: libFuzzer target for Redis URL parsing (redis://, unix://, redis-sentinel://, redis-cluster://).

import FuzzSupport
import HiredisClient

/// Properties: no crash; every parsed TCP endpoint (a deployment's sentinels and seeds too) has a host and a port in
/// 1...65535, a parsed database is not negative, a deployment names at least one node and a sentinel one a primary;
/// an error never shows the password of the URL it refuses.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = String(decoding: bytes(data, size), as: UTF8.self)
    func checkEndpoint(_ endpoint: RedisConnectionConfiguration.Endpoint) {
        if case .tcp(let host, let port) = endpoint {
            precondition(!host.isEmpty && (1...65535).contains(port), "a parsed endpoint out of range")
        }
    }
    do {
        switch try RedisURL.parseDeployment(url) {
        case .standalone(let configuration):
            checkEndpoint(configuration.endpoint)
            precondition(configuration.database >= 0, "a negative database")
        case .sentinel(let configuration):
            precondition(!configuration.sentinels.isEmpty && !configuration.primaryName.isEmpty, "an empty sentinel deployment")
            configuration.sentinels.forEach(checkEndpoint)
            precondition(configuration.node.database >= 0, "a negative database")
        case .cluster(let configuration):
            precondition(!configuration.seeds.isEmpty, "a cluster without seeds")
            configuration.seeds.forEach(checkEndpoint)
        }
    } catch {
        // redis://user:PASSWORD@… — a refusal must not repeat the password. (Redaction knows the well-formed places
        // of a password: this userinfo, and `password=` in a unix:// query.)
        if let scheme = url.firstRange(of: "://"), ["redis", "rediss", "redis-sentinel", "rediss-sentinel", "redis-cluster", "rediss-cluster"]
               .contains(url[..<scheme.lowerBound].lowercased()),
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
