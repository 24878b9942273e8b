// OutageTests: a killed redis-server fails requests closed with 503 (our middleware, and Vapor's with the driver).

import Foundation
import Testing
import Vapor
import VaporSessions
import VaporTesting

@Suite struct OutageTests {
    @Test func theMiddlewareAnswers503WithJSONWhenRedisIsDown() async throws {
        try await withMiddlewareApp { app, _, server in
            let session = try await anonymousSession(app)
            await server.kill()          // SIGKILL: a crashed Redis
            let tester = try app.testing()
            let load = try await tester.sendRequest(.GET, "/whoami", headers: headers(cookie: session.cookie))
            #expect(load.status == .serviceUnavailable)
            let body = try JSONSerialization.jsonObject(with: Data(load.text.utf8)) as? [String: String]
            #expect(body?["error"] == "session store unavailable")
            #expect(load.headers.first(name: .cacheControl) == "no-store")
            let post = try await tester.sendRequest(.POST, "/count", headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(post.status == .serviceUnavailable)
            #expect(try await tester.sendRequest(.GET, "/csrf").status == .serviceUnavailable)
            let login = try await tester.sendRequest(.POST, "/login", headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(login.status == .serviceUnavailable)
            #expect(login.setCookies.isEmpty)
        }
    }

    @Test func theDriverMakesAnOutageA503UnderVaporsMiddleware() async throws {
        try await withDriverApp { app, _, server in
            let created = try await app.testing().sendRequest(.GET, "/vapor/set?key=a&value=1")
            let cookie = try #require(created.sessionCookie(named: driverCookie))
            await server.kill()
            let tester = try app.testing()
            let read = try await tester.sendRequest(.GET, "/vapor/get?key=a", headers: headers(cookie: cookie, name: driverCookie))
            #expect(read.status == .serviceUnavailable, "Vapor's ErrorMiddleware would make a plain driver error a 500")
            #expect(try await tester.sendRequest(.GET, "/vapor/set?key=b&value=2").status == .serviceUnavailable)
        }
    }
}
