// FuzzForwardedFor: libFuzzer target for the X-Forwarded-For walk and the IP/CIDR parsers behind it.

import FuzzSupport
import SessionHTTP

/// Properties: no crash; the client is the peer or an address that parses; an untrusted peer is always the client;
/// every address that parses prints as text that parses back to it.
func check(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: bytes(data, size), as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let proxies = (try? TrustedProxies(lines.first.map { $0.split(separator: ";").map(String.init) } ?? [])) ?? .none
    let peer = lines.count > 1 ? lines[1] : "10.0.0.1"
    let client = proxies.clientAddress(peer: peer, forwardedFor: Array(lines.dropFirst(2)))
    if let client { precondition(IPAddress(client) != nil, "a client address that does not parse") }
    if let address = IPAddress(peer) {
        precondition(IPAddress(address.description) == address, "an address that does not round-trip")
        if !proxies.trusts(address) { precondition(client == address.description, "an untrusted peer was not the client") }
    } else {
        precondition(client == nil, "a client without a valid peer")
    }
    return 0
}

#if FUZZING
@_cdecl("fuzz_forwarded_for_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, check) }
#else
@main enum Replay { static func main() { replay(check) } }
#endif
