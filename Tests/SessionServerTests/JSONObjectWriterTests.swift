// JSONObjectWriterTests: the hand-written JSON of GET /me reads back as what was written, whatever the strings hold.

import Foundation
import Hummingbird
import Testing

@testable import session_server

@Suite struct JSONObjectWriterTests {
    struct Me: Decodable, Equatable { let user: String; let instance: String; let createdAt: String; let expiresAt: String }

    static func write(user: String, instance: String, date: Date = Date(timeIntervalSince1970: 1_798_761_599.001)) throws -> (Response, ByteBuffer, Me) {
        var writer = JSONObjectWriter(capacity: 16)
        writer.field("user", user)
        writer.field("instance", instance)
        writer.field("createdAt", iso8601: date)
        writer.field("expiresAt", iso8601: date.addingTimeInterval(60))
        let response = writer.response()
        let body = writer.buffer
        return (response, body, try JSONDecoder().decode(Me.self, from: Data(body.readableBytesView)))
    }

    @Test("quotes, backslashes, control characters and non-ASCII text survive a JSON parser", arguments: [
        "alice", "", "a\"b", "back\\slash", "line\nbreak\r\t", "\u{0}\u{1}\u{1F}\u{7F}", "héllo wörld ✓ 🎉", "</script>", "\\u0041\"",
    ])
    func roundTrip(text: String) throws {
        let (_, _, me) = try Self.write(user: text, instance: "app-" + text)
        #expect(me == Me(user: text, instance: "app-" + text, createdAt: "2026-12-31T23:59:59.001Z", expiresAt: "2027-01-01T00:00:59.001Z"))
    }

    @Test("a 200 with the JSON content type and the exact content length")
    func headers() throws {
        let (response, body, _) = try Self.write(user: "alice", instance: "app1")
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        #expect(response.headers[.contentLength] == String(body.readableBytes))
        #expect(response.body.contentLength == body.readableBytes)
        #expect(String(buffer: body) == #"{"user":"alice","instance":"app1","createdAt":"2026-12-31T23:59:59.001Z","expiresAt":"2027-01-01T00:00:59.001Z"}"#)
    }
}
