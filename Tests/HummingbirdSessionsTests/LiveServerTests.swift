// LiveServerTests: the middleware behind Hummingbird's real HTTP/1 server (NIO parsing, Host → authority).

import HTTPTypes
import Hummingbird
import HummingbirdSessions
import HummingbirdTesting
import SessionStore
import Testing

@Suite struct LiveServerTests {
    @Test func cookieCSRFAndLimitsOverRealHTTP() async throws {
        let app = try makeApp(store: try MemorySessionStore())
        try await app.test(.live) { client in
            let anonymous = try await anonymousSession(client)
            // The Host header becomes the request's authority: the own origin is https://<Host>.
            var own = headers(cookie: anonymous.cookie, csrf: anonymous.csrf)
            own[.origin] = "https://localhost"
            own[HTTPField.Name("Host")!] = "localhost"
            let login = try await client.execute(uri: "/login?user=ivan", method: .post, headers: own)
            #expect(login.status == .ok)
            let cookie = try #require(login.sessionCookie())
            #expect(try await client.execute(uri: "/whoami", method: .get, headers: headers(cookie: cookie)).text == "ivan")

            var foreign = headers(cookie: cookie, csrf: login.text)
            foreign[.origin] = "https://evil.example"
            #expect(try await client.execute(uri: "/count", method: .post, headers: foreign).status == .forbidden)

            var big = HTTPFields()
            big[.cookie] = "pad=" + String(repeating: "a", count: 9000)
            #expect(try await client.execute(uri: "/whoami", method: .get, headers: big).status == .requestHeaderFieldsTooLarge)
        }
    }
}
