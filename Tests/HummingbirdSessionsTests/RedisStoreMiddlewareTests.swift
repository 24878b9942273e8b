// RedisStoreMiddlewareTests: the middleware on the Redis session store: a login flow, and 503 when Redis stops.

import HiredisClient
import Hummingbird
import HummingbirdSessions
import HummingbirdTesting
import RedisSessionStore
import SessionStore
import Testing

@Suite struct RedisStoreMiddlewareTests {
    @Test func loginFlowOnRedis() async throws {
        try await withRedis { redis, _ in
            let store = try RedisSessionStore(redis: redis, keyring: .ephemeral())
            let app = try makeApp(store: store)
            try await app.test(.router) { client in
                let anonymous = try await anonymousSession(client)
                let set = try await client.execute(uri: "/set?name=theme&value=dark", method: .post, headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
                #expect(set.status == .ok)
                let login = try await client.execute(uri: "/login?user=gina", method: .post, headers: headers(cookie: anonymous.cookie, csrf: anonymous.csrf))
                let cookie = try #require(login.sessionCookie())
                #expect(try await store.load(anonymous.cookie) == nil)
                #expect(try await client.execute(uri: "/whoami", method: .get, headers: headers(cookie: cookie)).text == "gina")
                #expect(try await client.execute(uri: "/get?name=theme", method: .get, headers: headers(cookie: cookie)).text == "dark")
                let logout = try await client.execute(uri: "/logout", method: .post, headers: headers(cookie: cookie, csrf: login.text))
                #expect(logout.setCookies.first?.attribute("Max-Age") == "0")
                #expect(try await client.execute(uri: "/whoami", method: .get, headers: headers(cookie: cookie)).text == "anonymous")
            }
        }
    }

    @Test func parallelChangesToDifferentAttributesPersistOnRedis() async throws {
        try await withRedis { redis, _ in
            let store = try RedisSessionStore(redis: redis, keyring: .ephemeral())
            let app = try makeApp(store: store)
            try await app.test(.router) { client in
                let session = try await anonymousSession(client)
                async let first = client.execute(uri: "/set?name=a&value=1", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
                async let second = client.execute(uri: "/set?name=b&value=2", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
                let (one, two) = try await (first, second)
                #expect(one.status == .ok && two.status == .ok)
                let stored = try #require(try await store.load(session.cookie))
                #expect(try stored.get("a", as: String.self) == "1")
                #expect(try stored.get("b", as: String.self) == "2")
            }
        }
    }

    @Test func killedRedisGives503() async throws {
        try await withRedis { redis, server in
            let store = try RedisSessionStore(redis: redis, keyring: .ephemeral())
            let app = try makeApp(store: store)
            try await app.test(.router) { client in
                let session = try await anonymousSession(client)
                await server.kill()          // SIGKILL: a crashed Redis (SIGTERM via stop() did not end the child here)
                let load = try await client.execute(uri: "/whoami", method: .get, headers: headers(cookie: session.cookie))
                #expect(load.status == .serviceUnavailable)
                #expect(load.text.contains("\"error\""))
                let post = try await client.execute(uri: "/count", method: .post, headers: headers(cookie: session.cookie, csrf: session.csrf))
                #expect(post.status == .serviceUnavailable)
                #expect(try await client.execute(uri: "/csrf", method: .get).status == .serviceUnavailable)
            }
        }
    }
}
