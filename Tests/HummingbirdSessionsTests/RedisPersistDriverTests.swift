// RedisPersistDriverTests: the PersistDriver contract and hummingbird-auth's session flow on a real redis-server.

import Foundation
import HiredisClient
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdRedisPersist
import HummingbirdTesting
import Logging
import EmbeddedRedis
import Testing

struct Visit: Codable, Sendable, Equatable {
    var user: String
    var count: Int
}

@Suite struct RedisPersistDriverTests {
    @Test func persistContract() async throws {
        try await withRedis { redis, _ in
            let driver = RedisPersistDriver(redis: redis)
            try await driver.create(key: "a", value: Visit(user: "x", count: 1), expires: .seconds(60))
            await #expect(throws: PersistError.duplicate) {
                try await driver.create(key: "a", value: Visit(user: "y", count: 2), expires: nil)
            }
            #expect(try await driver.get(key: "a", as: Visit.self) == Visit(user: "x", count: 1))
            await #expect(throws: PersistError.invalidConversion) { _ = try await driver.get(key: "a", as: [Int].self) }
            // set without expiry keeps the existing one
            try await driver.set(key: "a", value: Visit(user: "x", count: 2), expires: nil)
            let withTTL = try #require(try await driver.getWithTTL(key: "a", as: Visit.self))
            #expect(withTTL.object.count == 2)
            let ttl = try #require(withTTL.ttl)
            #expect(ttl > .seconds(50) && ttl <= .seconds(60))
            try await driver.set(key: "b", value: "plain", expires: .milliseconds(100))
            #expect(try await driver.get(key: "b", as: String.self) == "plain")
            try await Task.sleep(for: .milliseconds(250))
            #expect(try await driver.get(key: "b", as: String.self) == nil)
            try await driver.remove(key: "a")
            #expect(try await driver.get(key: "a", as: Visit.self) == nil)
            #expect(try await redis.send("EXISTS", "persist:a").int == 0)
            // An update without an expiry never recreates a key another instance removed (it would never expire).
            await #expect(throws: RedisPersistDriverError.missingKey) {
                try await driver.set(key: "a", value: Visit(user: "x", count: 3), expires: nil)
            }
            #expect(try await redis.send("EXISTS", "persist:a").int == 0)
        }
    }

    @Test func hummingbirdAuthSessionMiddlewareRunsOnRedis() async throws {
        try await withRedis { redis, _ in
            typealias Context = BasicSessionRequestContext<Visit, String>
            let router = Router(context: Context.self)
            router.add(middleware: SessionMiddleware(storage: RedisPersistDriver(redis: redis)))
            router.post("/login") { request, context -> HTTPResponse.Status in
                context.sessions.createSession(Visit(user: "erin", count: 0), expiresIn: .seconds(600))
                return .ok
            }
            router.post("/visit") { _, context -> String in
                guard var visit = context.sessions.session else { throw HTTPError(.unauthorized) }
                visit.count += 1
                _ = context.sessions.updateSession(visit)
                return "\(visit.user):\(visit.count)"
            }
            router.post("/visit-while-logged-out-elsewhere") { request, context -> String in
                guard var visit = context.sessions.session else { throw HTTPError(.unauthorized) }
                // Another instance ends the session between this request's load and its save.
                let cookie = request.cookies["SESSION_ID"]?.value ?? ""
                try await redis.send("DEL", "persist:hbs.\(cookie)")
                visit.count += 1
                _ = context.sessions.updateSession(visit)
                return "\(visit.user):\(visit.count)"
            }
            router.post("/logout") { _, context -> HTTPResponse.Status in
                context.sessions.clearSession()
                return .ok
            }
            let app = Application(router: router)
            try await app.test(.router) { client in
                let login = try await client.execute(uri: "/login", method: .post)
                let cookie = try #require(login.setCookies.first { $0.name == "SESSION_ID" })
                #expect(try await redis.send("EXISTS", "persist:hbs.\(cookie.value)").int == 1)
                var fields = HTTPFields()
                fields[.cookie] = "SESSION_ID=\(cookie.value)"
                #expect(try await client.execute(uri: "/visit", method: .post, headers: fields).text == "erin:1")
                #expect(try await client.execute(uri: "/visit", method: .post, headers: fields).text == "erin:2")
                let ended = try await client.execute(uri: "/visit-while-logged-out-elsewhere", method: .post, headers: fields)
                #expect(ended.status == .unauthorized, "the update finds no key: 401, never a 500 or a resurrected key")
                #expect(try await redis.send("EXISTS", "persist:hbs.\(cookie.value)").int == 0)
                let again = try await client.execute(uri: "/login", method: .post)
                let second = try #require(again.setCookies.first { $0.name == "SESSION_ID" })
                fields[.cookie] = "SESSION_ID=\(second.value)"
                #expect(try await client.execute(uri: "/visit", method: .post, headers: fields).text == "erin:1")
                #expect(try await client.execute(uri: "/logout", method: .post, headers: fields).status == .ok)
                #expect(try await client.execute(uri: "/visit", method: .post, headers: fields).status == .unauthorized)
            }
        }
    }

    @Test func hummingbirdAuthSessionStorageOnRedis() async throws {
        try await withRedis { redis, _ in
            let storage = SessionStorage<Visit>(RedisPersistDriver(redis: redis, keyPrefix: "app:"))
            let cookie = try await storage.save(session: Visit(user: "jo", count: 1), expiresIn: .seconds(60))
            func request() -> Request {
                Request(
                    head: .init(method: .get, scheme: "http", authority: "localhost", path: "/", headerFields: [.cookie: "\(cookie.name)=\(cookie.value)"]),
                    body: .init(buffer: ByteBuffer())
                )
            }
            #expect(try await storage.load(request: request()) == Visit(user: "jo", count: 1))
            try await storage.update(session: Visit(user: "jo", count: 2), expiresIn: nil, request: request())
            let loaded = try #require(try await storage.loadWithTTL(request: request()))
            #expect(loaded.session.count == 2)
            #expect(loaded.ttl.map { $0 > .seconds(50) } == true)    // update without expiry kept the TTL
            await #expect(throws: SessionStorage<[String]>.Error.sessionInvalidType) {
                _ = try await SessionStorage<[String]>(RedisPersistDriver(redis: redis, keyPrefix: "app:")).load(request: request())
            }
            _ = try await storage.delete(request: request())
            #expect(try await storage.load(request: request()) == nil)
        }
    }
}
