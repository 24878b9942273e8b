// PrefsTests: preferences hold any JSON value, and parallel writes of different keys all persist.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SessionStore
import Testing

@testable import session_server

@Suite struct PrefsTests {
    @Test func prefsHoldAnyJSONValue() async throws {
        let server = try TestServer()
        try await server.app().test(.router) { client in
            var browser = Browser()
            try await browser.login(client, password: server.password)
            #expect(try await browser.send(client, .put, "/prefs/size", body: #"{"value":12}"#).status == .ok)
            #expect(try await browser.send(client, .put, "/prefs/flags", body: #"{"value":{"a":true}}"#).status == .ok)
            #expect(try await browser.send(client, .put, "/prefs/none", body: #"{"other":1}"#).status == .badRequest)
            #expect(try await browser.send(client, .put, "/prefs/bad", body: "not json").status == .badRequest)
            let prefs = try #require(try await browser.send(client, .get, "/prefs").json()["prefs"] as? [String: Any])
            #expect(prefs["size"] as? Int == 12)
            #expect((prefs["flags"] as? [String: Bool]) == ["a": true])
            #expect(prefs.count == 2)
        }
    }

    @Test func parallelWritesOfDifferentKeysAllPersist() async throws {
        let server = try TestServer()
        try await server.app().test(.router) { client in
            var browser = Browser()
            try await browser.login(client, password: server.password)
            let fields = browser.headers(json: true)
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await client.execute(
                            uri: "/prefs/k\(index)", method: .put, headers: fields,
                            body: ByteBuffer(string: #"{"value":"v\#(index)"}"#)
                        ).status
                    }
                }
                for try await status in group { #expect(status == .ok) }
            }
            let prefs = try await browser.send(client, .get, "/prefs").json()["prefs"] as? [String: String]
            #expect(prefs == Dictionary(uniqueKeysWithValues: (0..<8).map { ("k\($0)", "v\($0)") }))
        }
    }
}
