// HostileCookieTests: malformed, duplicated and oversized Cookie headers get 200/4xx, never 5xx, and write nothing.

import HiredisClient
import NIOHTTP1
import Testing

extension ThroughHAProxyTests {
    @Suite("Hostile cookies")
    struct HostileCookies {
        /// One hostile request shape: its `Cookie` header lines and what it may legitimately achieve.
        struct Case: Sendable {
            let name: String
            let cookies: [String]
            /// The header carries exactly one live session cookie that strict parsing accepts.
            var logsIn = false
            /// Over the app's 8 KiB cookie limit (431), maybe over HAProxy's buffer too (400).
            var oversized = false
        }

        /// A route and whether the sessions middleware guards it.
        struct Route: Sendable {
            let method: HTTPMethod
            let path: String
            var protected: Bool { path != "/ping" && path != "/healthz" }
        }

        static let routes = [
            Route(method: .GET, path: "/me"), Route(method: .GET, path: "/counter"), Route(method: .GET, path: "/sessions"),
            Route(method: .POST, path: "/counter/increment"), Route(method: .DELETE, path: "/sessions/abc"),
            Route(method: .GET, path: "/ping"), Route(method: .GET, path: "/healthz"),
        ]

        /// About twenty hostile cookie headers, built around two live sessions of alice.
        static func cases(live: String, other: String) -> [Case] {
            let name = Topology.cookieName
            let unknown = (0..<4).map { _ in randomToken() }
            return [
                Case(name: "empty header", cookies: [""]),
                Case(name: "garbage", cookies: ["%%%garbage;;==;;=;"]),
                Case(name: "name without value", cookies: [name]),
                Case(name: "empty value", cookies: ["\(name)="]),
                Case(name: "well-formed unknown token", cookies: ["\(name)=\(unknown[0])"]),
                Case(name: "truncated live token", cookies: ["\(name)=\(live.dropLast())"]),
                Case(name: "live token plus a character", cookies: ["\(name)=\(live)A"]),
                Case(name: "__HOST-sid with a live token", cookies: ["__HOST-sid=\(live)"]),
                Case(name: "__host-sid with a live token", cookies: ["__host-sid=\(live)"]),
                Case(name: "__Host-SID with a live token", cookies: ["__Host-SID=\(live)"]),
                Case(name: "percent-encoded name", cookies: ["__Host%2Dsid=\(live)"]),
                Case(name: "quoted live token", cookies: ["\(name)=\"\(live)\""]),
                Case(name: "two live sessions", cookies: ["\(name)=\(live); \(name)=\(other)"]),
                Case(name: "two Cookie lines with live sessions", cookies: ["\(name)=\(live)", "\(name)=\(other)"]),
                Case(name: "live token among three unknown ones", cookies: [([live] + unknown.dropFirst()).map { "\(name)=\($0)" }.joined(separator: "; ")]),
                Case(name: "comma-joined live tokens", cookies: ["\(name)=\(live), \(name)=\(other)"]),
                Case(name: "100 duplicates of a junk value", cookies: [Array(repeating: "\(name)=x", count: 100).joined(separator: "; ")]),
                Case(name: "500 other cookies", cookies: [Array(repeating: "a=1", count: 500).joined(separator: "; ") + "; \(name)=\(unknown[1])"]),
                Case(name: "non-ASCII", cookies: ["\(name)=sïd☃💥; __Høst-sid=é"]),
                Case(name: "percent-encoded CR/LF injection", cookies: ["\(name)=abc%0D%0ASet-Cookie:%20injected=1%0d%0aX-Injected:%201"]),
                Case(name: "base64 standard alphabet", cookies: ["\(name)=\(String(repeating: "+/", count: 25))=="]),
                Case(name: "backslashes and stray separators", cookies: ["\(name)=\\\\;;;\\\"; ;=;\(name)"]),
                Case(name: "live token padded with tabs and semicolons", cookies: ["\t\(name)=\t\(live)\t;;;"], logsIn: true),
                Case(name: "8.5 KiB value", cookies: ["\(name)=" + String(repeating: "A", count: 8704)], oversized: true),
                Case(name: "20 KiB value", cookies: ["\(name)=" + String(repeating: "A", count: 20480)], oversized: true),
            ]
        }

        @Test("hostile Cookie headers: 200 or 4xx, never 5xx, nothing reflected, nothing written to Redis")
        func hostileCookies() async throws {
            let topology = try Topology.required()
            var first = VirtualUser(topology)
            var second = VirtualUser(topology)
            try await first.login("alice")
            try await second.login("alice")
            let cases = Self.cases(live: try first.requireToken(), other: try second.requireToken())

            let redis = try await RedisConnection.connect(configuration: .init(url: topology.redis.url))
            defer { redis.close() }
            let keysBefore = try await Self.keys(redis)

            var table: [String] = []
            for hostile in cases {
                var outcomes: [String] = []
                for route in Self.routes {
                    let reply = try await topology.send(route.method, route.path, headers: hostile.cookies.map { ("Cookie", $0) })
                    Self.check(reply, hostile: hostile, route: route)
                    outcomes.append("\(reply.status)\(reply.instance == nil ? "(haproxy)" : "")")
                }
                table.append("\(hostile.name): \(outcomes.joined(separator: " "))")
            }
            // Which answers came from HAProxy itself (its 400 for headers beyond its buffer) is worth seeing.
            print("hostile cookies (\(Self.routes.map { "\($0.method) \($0.path)" }.joined(separator: ", "))):\n  "
                + table.joined(separator: "\n  "))

            let keysAfter = try await Self.keys(redis)
            #expect(keysAfter == keysBefore, "hostile cookies created or removed Redis keys")
            #expect(try await redis.send("DBSIZE").int == keysBefore.count)
            #expect(try await topology.send(.GET, "/me", token: try first.requireToken()).status == 200, "alice's sessions are untouched")
        }

        /// The expectations for one reply.
        static func check(_ reply: Reply, hostile: Case, route: Route) {
            let label = "\(hostile.name) → \(route.method) \(route.path): \(reply.summary)"
            #expect(reply.status == 200 || (400..<500).contains(reply.status), "\(label)")
            let fromHAProxy = reply.instance == nil
            if fromHAProxy {
                #expect(hostile.oversized && reply.status == 400, "only oversized headers may be refused by HAProxy: \(label)")
            } else if !route.protected {
                #expect(reply.status == 200, "\(label)")
            } else if hostile.oversized {
                #expect(reply.status == 431, "\(label)")
            } else if route.method != .GET {
                #expect(reply.status == 403, "no CSRF token: \(label)")
            } else if hostile.logsIn {
                #expect(reply.status == 200, "\(label)")
            } else {
                #expect(reply.status == 401, "no session may come of it: \(label)")
            }
            if route.protected && reply.status == 200 && route.path == "/me" {
                #expect(reply.string("user") == "alice", "\(label)")
            }
            #expect(reply.setCookies.isEmpty, "no session is created or rotated: \(label)")
            for (name, value) in reply.headers {
                #expect(!(name + value).contains(where: { $0 == "\r" || $0 == "\n" }), "CR/LF in a response header: \(label)")
                #expect(!(name + value).lowercased().contains("injected"), "request content reflected in \(name): \(label)")
            }
            #expect(!reply.body.lowercased().contains("injected"), "request content reflected in the body: \(label)")
        }

        /// Every key in Redis, sorted.
        static func keys(_ redis: RedisConnection) async throws -> [String] {
            let reply = try await redis.send("KEYS", "*")
            return (reply.array ?? []).compactMap(\.string).sorted()
        }

        /// 52 random base64url characters: the shape of a token, but not one the servers issued.
        static func randomToken() -> String {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            return String((0..<52).map { _ in alphabet.randomElement()! })
        }
    }
}
