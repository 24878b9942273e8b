// TokenBodiesTests: the tokens workload's reply bodies: POST /token(/refresh), GET /api/me and invalid_grant.

import Foundation
import Testing

@testable import session_bench

@Suite struct TokenBodiesTests {
    private func reply(_ body: String, status: Int = 200) -> HTTPReply {
        HTTPReply(status: status, instance: "app1", setCookies: [], body: Array(body.utf8))
    }

    @Test func decodesTheTokenPair() throws {
        let body = #"{"access_token":"eyJhbGciOi.x.y","token_type":"Bearer","expires_in":300,"refresh_token":"r-1"}"#
        let token = try #require(reply(body).decode(TokenReply.self))
        #expect(token.access_token == "eyJhbGciOi.x.y" && token.refresh_token == "r-1" && token.expires_in == 300)
        #expect(token.isBearer)
        let lower = try #require(reply(#"{"access_token":"a","token_type":"bearer","expires_in":1,"refresh_token":"r"}"#).decode(TokenReply.self))
        #expect(lower.isBearer)
    }

    @Test func refusesIncompleteOrOtherTokenTypes() throws {
        #expect(reply(#"{"access_token":"a","token_type":"Bearer","expires_in":300}"#).decode(TokenReply.self) == nil)
        #expect(reply(#"{"access_token":"a","token_type":"Bearer","expires_in":"300","refresh_token":"r"}"#).decode(TokenReply.self) == nil)
        let mac = try #require(reply(#"{"access_token":"a","token_type":"MAC","expires_in":300,"refresh_token":"r"}"#).decode(TokenReply.self))
        #expect(!mac.isBearer)
        let empty = try #require(reply(#"{"access_token":"","token_type":"Bearer","expires_in":300,"refresh_token":"r"}"#).decode(TokenReply.self))
        #expect(!empty.isBearer)
    }

    @Test func decodesAPIMe() throws {
        let body = #"{"user":"alice","instance":"app2","family":"f-123","expiresAt":"2026-12-01T08:05:00.000Z"}"#
        let me = try #require(reply(body).decode(APIMeReply.self))
        #expect(me.user == "alice" && me.instance == "app2" && me.family == "f-123")
        #expect(reply(body).bodyStartsWithStrings([("user", "alice"), ("instance", "app2")]))
        #expect(reply(#"{"user":"alice","instance":"app2"}"#).decode(APIMeReply.self) == nil)
    }

    @Test func readsInvalidGrant() {
        #expect(reply(#"{"error":"invalid_grant"}"#, status: 401).errorText == "invalid_grant")
    }

    @Test func requestBodiesUseTheContractsNames() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(RefreshBody(refresh_token: "r")), as: UTF8.self) == #"{"refresh_token":"r"}"#)
        #expect(String(decoding: try encoder.encode(RevokeBody(token: "t")), as: UTF8.self) == #"{"token":"t"}"#)
        #expect(String(decoding: try encoder.encode(TokenBody(username: "u", password: "p")), as: UTF8.self) == #"{"password":"p","username":"u"}"#)
    }
}
