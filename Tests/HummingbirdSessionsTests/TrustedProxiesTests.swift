// TrustedProxiesTests: the client's address from the peer, or from X-Forwarded-For only behind a trusted proxy.

import SessionHTTP
import Testing

@Suite struct TrustedProxiesTests {
    let haproxy = try! TrustedProxies(["127.0.0.1/32", " 10.0.0.0/8 ", "", "::1"])

    @Test("no trusted proxy: the peer is the client, X-Forwarded-For is ignored")
    func noneTrusted() {
        #expect(TrustedProxies.none.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"]) == "127.0.0.1")
        #expect(TrustedProxies.none.clientAddress(peer: nil, forwardedFor: ["203.0.113.9"]) == nil)
    }

    @Test("an untrusted peer is the client whatever it claims")
    func untrustedPeer() {
        #expect(haproxy.clientAddress(peer: "198.51.100.4", forwardedFor: ["203.0.113.9"]) == "198.51.100.4")
    }

    @Test("behind a trusted proxy: the rightmost untrusted entry, across several headers")
    func trustedChain() {
        #expect(haproxy.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"]) == "203.0.113.9")
        // A client's forged entry sits left of the address the proxy appended: it is never reached.
        #expect(haproxy.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9", "127.0.0.2"]) == "127.0.0.2")
        #expect(haproxy.clientAddress(peer: "127.0.0.1", forwardedFor: ["1.1.1.1, 198.51.100.4, 10.1.2.3"]) == "198.51.100.4")
        #expect(haproxy.clientAddress(peer: "::1", forwardedFor: ["[2001:db8::7]:443"]) == "2001:db8::7")
        #expect(haproxy.clientAddress(peer: "127.0.0.1", forwardedFor: ["10.0.0.3, 10.0.0.4"]) == "10.0.0.3", "all trusted: the leftmost")
        #expect(haproxy.clientAddress(peer: "127.0.0.1", forwardedFor: []) == "127.0.0.1")
    }

    @Test("an entry that does not parse stops the walk at the last address a trusted proxy vouched for")
    func garbage() {
        #expect(haproxy.clientAddress(peer: "127.0.0.1", forwardedFor: ["unknown, 10.0.0.5"]) == "10.0.0.5")
        #expect(haproxy.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9, <script>"]) == "127.0.0.1")
        let many = Array(repeating: "10.0.0.1", count: 40).joined(separator: ",")
        #expect(haproxy.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9," + many]) == "10.0.0.1", "at most 32 hops are read")
    }

    @Test("blocks: parsing, containment, refusals")
    func blocks() throws {
        let block = try #require(IPAddressBlock("192.168.0.0/16"))
        #expect(block.contains(IPAddress("192.168.255.1")!) && !block.contains(IPAddress("192.169.0.1")!))
        #expect(!block.contains(IPAddress("::ffff:c0a9:1")!) && block.contains(IPAddress("::ffff:192.168.1.1")!))
        #expect(IPAddressBlock("2001:db8::/32")!.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(IPAddressBlock("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
        #expect(IPAddressBlock("10.0.0.0/8")?.description == "10.0.0.0/8")
        for bad in ["10.0.0.0/33", "10.0.0/8", "fe80::/129", "example.com", "10.0.0.0/-1", "[::1]/128", "1.2.3.4:80/32"] {
            #expect(IPAddressBlock(bad) == nil, "\(bad)")
        }
        #expect(throws: TrustedProxiesError.self) { try TrustedProxies(["10.0.0.0/8", "nope"]) }
    }
}
