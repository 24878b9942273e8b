// HTTPReplyTests: the byte-for-byte check of a reply's leading string fields that spares GET /me a JSON decode.

import Testing

@testable import session_bench

@Suite struct HTTPReplyTests {
    private func reply(_ body: String) -> HTTPReply {
        HTTPReply(status: 200, instance: "app1", setCookies: [], body: Array(body.utf8))
    }

    private let me: [(name: String, value: String)] = [("user", "alice"), ("instance", "app1")]

    @Test func acceptsTheServersLayout() {
        #expect(reply(#"{"user":"alice","instance":"app1","createdAt":"2026-12-01T01:52:02.414Z"}"#).bodyStartsWithStrings(me))
        #expect(reply(#"{"user":"alice","instance":"app1"}"#).bodyStartsWithStrings(me))
    }

    @Test func refusesOtherValuesAndPrefixes() {
        #expect(!reply(#"{"user":"bob","instance":"app1"}"#).bodyStartsWithStrings(me))
        #expect(!reply(#"{"user":"alice","instance":"app2"}"#).bodyStartsWithStrings(me))
        #expect(!reply(#"{"user":"alicex","instance":"app1"}"#).bodyStartsWithStrings(me))
        #expect(!reply(#"{"user":"alice","instance":"app10"}"#).bodyStartsWithStrings(me))
        #expect(!reply(#"{"user":"alice","instance":"app1""#).bodyStartsWithStrings(me))
        #expect(!reply(#"{"user":"alice""#).bodyStartsWithStrings(me))
        #expect(!reply("").bodyStartsWithStrings(me))
    }

    /// Anything laid out differently is left to the decoder, which judges it the same way.
    @Test func leavesOtherLayoutsToTheDecoder() {
        let spaced = reply(#"{ "user": "alice", "instance": "app1" }"#)
        #expect(!spaced.bodyStartsWithStrings(me))
        #expect(spaced.decode(MeReply.self)?.user == "alice")
        #expect(!reply(#"{"instance":"app1","user":"alice"}"#).bodyStartsWithStrings(me))
        #expect(!reply(#"{"user":"al\"ice","instance":"app1"}"#).bodyStartsWithStrings([("user", "al\"ice"), ("instance", "app1")]))
    }
}
