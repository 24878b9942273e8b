// AuthenticationConformanceTests: what a login records (time, method, agent, address), re-authentication and
// remember-me, on both stores.

import Foundation
import SessionStore
import Testing

@Suite("SessionStore conformance: authentication context", .sharedDeployments, .timeLimit(.minutes(1)))
struct AuthenticationConformanceTests {
    static let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

    @Test("a login records when, how and from where; loads, lists and renewals keep it", arguments: [StoreKind.memory, .redis])
    func loginRecordsTheContext(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let anonymous = try await store.create(user: nil)
            #expect(anonymous.authentication == nil)
            let before = Date().addingTimeInterval(-2)
            let details = Authentication(method: "password", userAgent: Self.firefox, ipAddress: "203.0.113.7")
            let session = try await store.rotate(anonymous, .login(user: "ada"), authentication: details)
            let recorded = try #require(session.authentication)
            #expect(recorded.method == "password" && recorded.userAgent == Self.firefox && recorded.ipAddress == "203.0.113.7")
            #expect(recorded.device == "Firefox on Linux" && !recorded.remembered)
            if harness.clock == nil { #expect(recorded.authenticatedAt > before && recorded.authenticatedAt < Date().addingTimeInterval(2)) }

            let loaded = try #require(try await store.load(session.token!.rawValue))
            #expect(loaded.authentication == recorded)
            let listed = try await store.sessions(ofUser: "ada")
            #expect(listed.count == 1 && listed[0].authentication == recorded && listed[0].handle == session.identity.handle)

            let renewed = try await store.rotate(loaded, .renewal)
            #expect(renewed.authentication == recorded, "a renewal keeps the recorded authentication")
            #expect(try await store.load(renewed.token!.rawValue)?.authentication == recorded)
        }
    }

    @Test("a re-authentication (privilege change) replaces the record and the token", arguments: [StoreKind.memory, .redis])
    func reauthenticationUpdatesTheTime(kind: StoreKind) async throws {
        try await withStore(kind) { harness in
            let store = harness.store
            let session = try await store.create(user: "ada", attributes: [:], authentication: Authentication(method: "password"))
            let first = try #require(session.authentication)
            try await harness.advance(by: .milliseconds(300))
            let again = try await store.rotate(session, .privilegeChange, authentication: Authentication(method: "webauthn", userAgent: "curl/8.5.0"))
            let second = try #require(again.authentication)
            #expect(second.authenticatedAt > first.authenticatedAt && second.method == "webauthn" && second.device == "curl")
            #expect(try await store.load(session.token!.rawValue) == nil, "the old token is dead at once")
            #expect(try await store.load(again.token!.rawValue)?.authentication == second)
            #expect(second.isRecent(within: .seconds(60), now: second.authenticatedAt.addingTimeInterval(59)))
            #expect(!second.isRecent(within: .seconds(60), now: second.authenticatedAt.addingTimeInterval(61)))
        }
    }

    @Test("remember me: the login gets the remember-me lifetime as absolute expiry and idle timeout", arguments: [StoreKind.memory, .redis])
    func rememberMe(kind: StoreKind) async throws {
        var configuration = testConfiguration()
        configuration.expiry.rememberMeLifetime = .seconds(7200)
        try await withStore(kind, configuration: configuration) { harness in
            let store = harness.store
            let anonymous = try await store.create(user: nil)
            let session = try await store.rotate(anonymous, .login(user: "ada"), authentication: Authentication(remember: true))
            #expect(session.authentication?.remembered == true)
            #expect(session.idleTimeout == .seconds(7200))
            let lifetime = session.absoluteExpiry.timeIntervalSince(session.lastAccessAt)
            #expect(abs(lifetime - 7200) < 1, "absolute expiry \(lifetime) s after the login")
            let loaded = try #require(try await store.load(session.token!.rawValue))
            #expect(loaded.absoluteExpiry == session.absoluteExpiry && loaded.idleTimeout == .seconds(7200))
            // Still renewed and revocable like any session; a renewal keeps the longer expiry.
            let renewed = try await store.rotate(loaded, .renewal)
            #expect(renewed.absoluteExpiry == session.absoluteExpiry)
            try await store.destroy(renewed)
            #expect(try await store.load(renewed.token!.rawValue) == nil)

            let fresh = try await store.create(user: "ada", attributes: [:], authentication: Authentication(remember: true))
            #expect(abs(fresh.absoluteExpiry.timeIntervalSince(fresh.lastAccessAt) - 7200) < 1)
            let plain = try await store.create(user: "ada", attributes: [:], authentication: Authentication())
            #expect(abs(plain.absoluteExpiry.timeIntervalSince(plain.lastAccessAt) - 60) < 1, "without remember: the default 60 s")
        }
    }

    @Test("stored values are bounded: the user agent is cut to 256 bytes, control characters become spaces")
    func boundedValues() async throws {
        try await withStore(.memory) { harness in
            let agent = "Evil\r\nSet-Cookie: x\u{0}" + String(repeating: "é", count: 300)
            let session = try await harness.store.create(user: "ada", attributes: [:], authentication: Authentication(method: "pass\nword", userAgent: agent))
            let recorded = try #require(session.authentication)
            #expect(recorded.userAgent!.utf8.count <= 256 && recorded.userAgent!.hasPrefix("Evil  Set-Cookie: x "))
            #expect(recorded.method == "pass word")
        }
    }

    @Test("device labels", arguments: [
        (Self.firefox, "Firefox on Linux"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge on Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome on macOS"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
        ("curl/8.5.0", "curl"),
        ("", "Unknown device"),
        ("\u{1}\u{2}", "Unknown device"),
    ])
    func deviceLabels(agent: String, label: String) {
        #expect(DeviceLabel.describe(userAgent: agent) == label)
    }
}
