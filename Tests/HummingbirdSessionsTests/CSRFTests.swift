// CSRFTests: the synchronizer token (header and form field), fetch metadata, Origin, login and exempt paths.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdSessions
import HummingbirdTesting
import SessionStore
import Testing

@Suite struct CSRFTests {
    /// Checks a 403 with a JSON `{"error": …}` body.
    func expectForbidden(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == .forbidden, sourceLocation: sourceLocation)
        let body = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: String]
        #expect(body?["error"]?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test func missingOrWrongTokenIsRefused() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            try expectForbidden(try await client.execute(uri: "/count", method: .post, headers: headers(cookie: session.cookie)))
            try expectForbidden(try await client.execute(uri: "/count", method: .put, headers: headers(cookie: session.cookie, csrf: "wrong")))
            try expectForbidden(try await client.execute(uri: "/count", method: .delete, headers: headers(cookie: session.cookie, csrf: session.csrf + "x")))
            try expectForbidden(try await client.execute(uri: "/count", method: .patch, headers: headers(csrf: session.csrf)))  // no session
            let ok = try await client.execute(uri: "/count", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(ok.status == .ok)
        }
    }

    @Test func formFieldIsAcceptedAndBodyStaysReadable() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            var fields = headers(cookie: session.cookie)
            fields[.contentType] = "application/x-www-form-urlencoded"
            let form = "name=x&_csrf=\(session.csrf)&more=1"
            let response = try await client.execute(uri: "/echo", method: .post, headers: fields, body: ByteBuffer(string: form))
            #expect(response.status == .ok)
            #expect(response.text == form)
            let wrong = try await client.execute(uri: "/echo", method: .post, headers: fields, body: ByteBuffer(string: "_csrf=nope"))
            try expectForbidden(wrong)
            let twice = "_csrf=\(session.csrf)&_csrf=other"
            try expectForbidden(try await client.execute(uri: "/echo", method: .post, headers: fields, body: ByteBuffer(string: twice)))
        }
    }

    @Test func crossSiteFetchAndForeignOriginAreRefused() async throws {
        var configuration = SessionsConfiguration()
        configuration.allowedOrigins = ["https://admin.example.com"]
        let app = try makeApp(store: try MemorySessionStore(), configuration: configuration)
        try await app.test(.router) { client in
            let session = try await anonymousSession(client)
            var crossSite = headers(cookie: session.cookie, csrf: session.csrf)
            crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            try expectForbidden(try await client.execute(uri: "/count", method: .post, headers: crossSite))
            for origin in ["https://evil.example", "null", "http://localhost", "https://localhost.evil.example"] {
                var foreign = headers(cookie: session.cookie, csrf: session.csrf)
                foreign[.origin] = origin
                try expectForbidden(try await client.execute(uri: "/count", method: .post, headers: foreign))
            }
            for origin in ["https://localhost", "https://admin.example.com"] {
                var same = headers(cookie: session.cookie, csrf: session.csrf)
                same[.origin] = origin
                same[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
                let response = try await client.execute(uri: "/count", method: .post, headers: same)
                #expect(response.status == .ok, "\(origin)")
            }
        }
    }

    @Test func loginNeedsTheAnonymousSessionsToken() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.router) { client in
            try expectForbidden(try await client.execute(uri: "/login", method: .post))
            let anonymous = try await anonymousSession(client)
            try expectForbidden(try await client.execute(uri: "/login", method: .post, headers: headers(cookie: anonymous.cookie)))
            let other = try await anonymousSession(client)
            try expectForbidden(try await client.execute(uri: "/login", method: .post, headers: headers(cookie: anonymous.cookie, csrf: other.csrf)))
            let response = try await client.execute(uri: "/login", method: .post, headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
            #expect(response.status == .ok)
            let loggedIn = try #require(response.sessionCookie())
            #expect(response.text != anonymous.csrf)
            // The old CSRF token no longer works with the new session.
            try expectForbidden(try await client.execute(uri: "/count", method: .post, headers: headers(cookie: loggedIn, csrf: anonymous.csrf)))
            let ok = try await client.execute(uri: "/count", method: .post, headers: headers(cookie: loggedIn, csrf: response.text))
            #expect(ok.status == .ok)
        }
    }

    @Test func exemptPathsAndSafeMethodsSkipTheCheck() async throws {
        var configuration = SessionsConfiguration()
        configuration.csrfExemptPaths = ["/hook"]
        let app = try makeApp(store: try MemorySessionStore(), configuration: configuration)
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/hook", method: .post).status == .ok)
            #expect(try await client.execute(uri: "/plain", method: .get).status == .ok)
            try expectForbidden(try await client.execute(uri: "/echo", method: .post))
        }
    }
}
