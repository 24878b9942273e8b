// CSRFTests: the synchronizer token (header and form field), fetch metadata and Origin on unsafe methods.

import Foundation
import Testing
import Vapor
import VaporSessions
import VaporTesting

@Suite struct CSRFTests {
    /// Checks a 403 with a JSON `{"error": …}` body.
    func expectForbidden(_ response: TestingHTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == .forbidden, sourceLocation: sourceLocation)
        let body = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: String]
        #expect(body?["error"]?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test func missingOrWrongTokenIsRefusedAndTheRightOneAccepted() async throws {
        try await withMiddlewareApp { app, _, _ in
            let session = try await anonymousSession(app)
            let tester = try app.testing()
            try expectForbidden(try await tester.sendRequest(.POST, "/count", headers: headers(cookie: session.cookie)))
            try expectForbidden(try await tester.sendRequest(.PUT, "/count", headers: headers(cookie: session.cookie, csrf: "wrong")))
            try expectForbidden(try await tester.sendRequest(.DELETE, "/count", headers: headers(cookie: session.cookie, csrf: session.csrf + "x")))
            try expectForbidden(try await tester.sendRequest(.PATCH, "/count", headers: headers(csrf: session.csrf)))  // no session
            try expectForbidden(try await tester.sendRequest(.POST, "/login", headers: headers(cookie: session.cookie)))
            let ok = try await tester.sendRequest(.POST, "/count", headers: headers(cookie: session.cookie, csrf: session.csrf))
            #expect(ok.status == .ok)
            #expect(ok.text == "1")
        }
    }

    @Test func theFormFieldIsAcceptedAndTheBodyStaysReadable() async throws {
        try await withMiddlewareApp { app, _, _ in
            let session = try await anonymousSession(app)
            var fields = headers(cookie: session.cookie)
            fields.replaceOrAdd(name: .contentType, value: "application/x-www-form-urlencoded")
            let form = "name=x&_csrf=\(session.csrf)&more=1"
            let tester = try app.testing()
            let response = try await tester.sendRequest(.POST, "/echo", headers: fields, body: ByteBuffer(string: form))
            #expect(response.status == .ok)
            #expect(response.text == form)
            try expectForbidden(try await tester.sendRequest(.POST, "/echo", headers: fields, body: ByteBuffer(string: "_csrf=nope")))
            let twice = "_csrf=\(session.csrf)&_csrf=other"
            try expectForbidden(try await tester.sendRequest(.POST, "/echo", headers: fields, body: ByteBuffer(string: twice)))
        }
    }

    @Test func theFormFieldIsReadFromAStreamedBodyOverHTTP() async throws {
        var configuration = VaporSessionsConfiguration()
        configuration.maximumFormBytes = 32 * 1024
        try await withMiddlewareApp(configuration: configuration) { app, _, _ in
            app.routes.defaultMaxBodySize = "1mb"
            app.middleware.use(StreamProbe(), at: .beginning)
            let session = try await anonymousSession(app)
            var fields = headers(cookie: session.cookie)
            fields.replaceOrAdd(name: .contentType, value: "application/x-www-form-urlencoded; charset=utf-8")
            // A real server on a loopback port, and a body larger than one read: it reaches the middleware as a
            // stream, which the middleware collects for the route.
            let server = try app.testing(method: .running(hostname: "127.0.0.1", port: 0))
            let form = "_csrf=\(session.csrf)&pad=" + String(repeating: "p", count: 20 * 1024)
            let response = try await server.sendRequest(.POST, "/echo", headers: fields, body: ByteBuffer(string: form))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: StreamProbe.header) == "stream")
            #expect(response.text == form, "the route still reads the body the middleware collected")
            let big = "_csrf=\(session.csrf)&pad=" + String(repeating: "p", count: 40 * 1024)
            #expect(try await server.sendRequest(.POST, "/echo", headers: fields, body: ByteBuffer(string: big)).status == .payloadTooLarge)
            // Already collected (the in-memory tester): the limit holds too.
            #expect(try await app.testing().sendRequest(.POST, "/echo", headers: fields, body: ByteBuffer(string: big)).status == .payloadTooLarge)
        }
    }

    @Test func crossSiteFetchesAndForeignOriginsAreRefused() async throws {
        var configuration = VaporSessionsConfiguration()
        configuration.allowedOrigins = ["https://admin.example.com"]
        configuration.csrfExemptPaths = ["/hook"]
        try await withMiddlewareApp(configuration: configuration) { app, _, _ in
            let session = try await anonymousSession(app)
            let tester = try app.testing()
            var crossSite = headers(cookie: session.cookie, csrf: session.csrf)
            crossSite.add(name: "Sec-Fetch-Site", value: "cross-site")
            try expectForbidden(try await tester.sendRequest(.POST, "/count", headers: crossSite))
            for origin in ["https://evil.example", "null", "http://app.example", "https://app.example.evil.example"] {
                var foreign = headers(cookie: session.cookie, csrf: session.csrf)
                foreign.add(name: .host, value: "app.example")
                foreign.add(name: .origin, value: origin)
                try expectForbidden(try await tester.sendRequest(.POST, "/count", headers: foreign))
            }
            for origin in ["https://app.example", "https://admin.example.com"] {
                var same = headers(cookie: session.cookie, csrf: session.csrf)
                same.add(name: .host, value: "app.example")
                same.add(name: .origin, value: origin)
                same.add(name: "Sec-Fetch-Site", value: "same-origin")
                #expect(try await tester.sendRequest(.POST, "/count", headers: same).status == .ok, "\(origin)")
            }
            #expect(try await tester.sendRequest(.POST, "/hook").status == .ok, "exempt path")
        }
    }
}

/// Tells in a response header whether the request's body reached the middleware chain as a stream.
struct StreamProbe: AsyncMiddleware {
    static let header = "X-Body-Arrived-As"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let arrivedAs = request.body.data == nil ? "stream" : "collected"
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: Self.header, value: arrivedAs)
        return response
    }
}
