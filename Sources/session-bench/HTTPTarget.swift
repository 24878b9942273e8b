// HTTPTarget: the one AsyncHTTPClient of an http bench run and the requests every virtual user sends through it.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One response, reduced to what the bench looks at.
struct HTTPReply: Sendable {
    let status: Int
    /// The `X-Instance` header: which session-server answered (`nil` when absent, e.g. a proxy's own error page).
    let instance: String?
    let setCookies: [String]
    let body: [UInt8]

    /// The body decoded as `T`, or `nil` when it is not that JSON.
    func decode<T: Decodable>(_ type: T.Type) -> T? {
        try? Self.decoder.decode(T.self, from: Data(body))
    }

    /// One decoder for every reply (it is Sendable and keeps no state between calls): making one per reply costs
    /// the bench, which shares the host with what it measures, more than the decoding.
    private static let decoder = JSONDecoder()

    /// Whether the body begins with exactly these string fields, in this order, written compactly
    /// (`{"user":"alice","instance":"app1"` then `,` or `}`) with names and values that need no escaping. It spares the
    /// hottest check (every `GET /me`) a JSON decode, which costs the bench, on the host it shares with the servers,
    /// more than the rest of the check. `false` says nothing about the values: decode the body to judge them.
    func bodyStartsWithStrings(_ fields: [(name: String, value: String)]) -> Bool {
        var index = body.startIndex
        func take(_ bytes: some Sequence<UInt8>) -> Bool {
            for byte in bytes {
                guard index < body.endIndex, body[index] == byte else { return false }
                index += 1
            }
            return true
        }
        for (position, field) in fields.enumerated() {
            let plain = { (text: String) in !text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") } }
            guard plain(field.name), plain(field.value),
                  take(position == 0 ? "{\"".utf8 : ",\"".utf8), take(field.name.utf8), take("\":\"".utf8),
                  take(field.value.utf8), take("\"".utf8)
            else { return false }
        }
        return index < body.endIndex && (body[index] == UInt8(ascii: ",") || body[index] == UInt8(ascii: "}"))
    }

    /// The `{"error": "..."}` message of the body, or its first bytes.
    var errorText: String {
        if let error = decode(ErrorReply.self) { return error.error }
        return String(decoding: body.prefix(120), as: UTF8.self)
    }
}

/// `{"error": "..."}`.
struct ErrorReply: Decodable { let error: String }

/// The application under test: its base URL and the single HTTP client all virtual users share.
///
/// One `HTTPClient` on NIO's shared multi-threaded event loop group (one thread per core), HTTP/1.1 only (the proxy
/// speaks HTTP/1.1), with a per-host connection soft limit of at least the number of virtual users, so that every
/// user can have a request in flight on its own keep-alive connection.
struct HTTPTarget: Sendable {
    let baseURL: String
    let client: HTTPClient
    /// How long one request may take before it counts as failed.
    let requestTimeout: TimeAmount = .seconds(30)
    /// Every request's outcome over time, for the outage report.
    let outages = OutageRecorder()

    /// Makes the client.
    /// - Parameters:
    ///   - url: base URL, `http://` or `https://`, without a path (a trailing `/` is dropped).
    ///   - insecure: accept any certificate (a self-signed one on a test proxy): no verification at all.
    ///   - connections: the per-host connection soft limit.
    init(url: String, insecure: Bool, connections: Int) {
        baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        var tls = TLSConfiguration.makeClientConfiguration()
        if insecure { tls.certificateVerification = .none }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: .seconds(10), read: .seconds(30)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(connections, 1))
        )
        configuration.httpVersion = .http1Only
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Sends one request and reads the whole response.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path, starting with `/`.
    ///   - cookies: the `Cookie` header value, if any.
    ///   - csrf: the `X-CSRF-Token` header value, if any.
    ///   - json: a JSON body, sent with `Content-Type: application/json`.
    ///   - bearer: an access token, sent as `Authorization: Bearer <token>` (never logged).
    /// - Throws: transport errors and timeouts from AsyncHTTPClient.
    func send(
        _ method: HTTPMethod, _ path: String, cookies: String? = nil, csrf: String? = nil, json: [UInt8]? = nil,
        bearer: String? = nil
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let cookies { request.headers.add(name: "Cookie", value: cookies) }
        if let csrf { request.headers.add(name: "X-CSRF-Token", value: csrf) }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json))
        }
        let startedAt = OutageRecorder.nowMilliseconds()
        let started = ContinuousClock.now
        func elapsed() -> Double {
            let (seconds, attoseconds) = (ContinuousClock.now - started).components
            return Double(seconds) * 1000 + Double(attoseconds) / 1e15
        }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: requestTimeout)
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            outages.record(start: startedAt, milliseconds: elapsed(), status: nil)
            throw error
        }
        outages.record(start: startedAt, milliseconds: elapsed(), status: Int(response.status.code))
        return HTTPReply(
            status: Int(response.status.code),
            instance: response.headers.first(name: "X-Instance"),
            setCookies: response.headers["Set-Cookie"],
            body: Array(body.readableBytesView)
        )
    }

    /// Shuts the client down (waits for its connections to close).
    func shutdown() async throws {
        try await client.shutdown()
    }
}
