// Reply: one HTTP response as the tests see it (status, headers, body, JSON), and the request function behind it.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A complete HTTP response.
struct Reply: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: String

    /// `X-Instance`: which session-server answered; `nil` when HAProxy answered itself.
    var instance: String? { headers.first(name: "X-Instance") }

    /// Every `Set-Cookie` header.
    var setCookies: [String] { headers["Set-Cookie"] }

    /// The body as a JSON object, `nil` when it is not one.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }

    /// A string field of the JSON body.
    func string(_ key: String) -> String? { json?[key] as? String }

    /// An ISO-8601 date field of the JSON body (`2026-01-02T03:04:05.678Z`).
    func date(_ key: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return string(key).flatMap { formatter.date(from: $0) }
    }

    /// An integer field of the JSON body.
    func int(_ key: String) -> Int? { (json?[key] as? NSNumber)?.intValue }

    /// For failure messages: `401 from app2: {"error":"not logged in"}`.
    var summary: String { "\(status) from \(instance ?? "HAProxy"): \(body.prefix(300))" }
}

/// Sends one request and collects the whole response (at most 1 MiB).
/// - Parameters:
///   - headers: sent as given, in order (repeated names stay repeated).
///   - json: a JSON body (sets `Content-Type: application/json`).
func fetch(
    _ client: HTTPClient, _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], json: String? = nil,
    timeout: Duration = .seconds(10)
) async throws -> Reply {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let json {
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
    }
    let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
    let response = try await client.execute(request, timeout: .nanoseconds(nanoseconds))
    let body = try await response.body.collect(upTo: 1 << 20)
    return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
}

/// A parsed `Set-Cookie` header: name, value and attributes (keys lower-cased; flags map to "").
struct SetCookie: Sendable {
    let name: String
    let value: String
    let attributes: [String: String]

    /// Parses `name=value; Attr=x; Flag`; `nil` without `=` in the first part.
    init?(_ header: String) {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let equals = first.firstIndex(of: "=") else { return nil }
        name = String(first[..<equals])
        value = String(first[first.index(after: equals)...])
        var attributes: [String: String] = [:]
        for part in parts.dropFirst() where !part.isEmpty {
            if let equals = part.firstIndex(of: "=") {
                attributes[part[..<equals].lowercased()] = String(part[part.index(after: equals)...])
            } else {
                attributes[part.lowercased()] = ""
            }
        }
        self.attributes = attributes
    }

    /// `Max-Age` as a number.
    var maxAge: Int? { attributes["max-age"].flatMap { Int($0) } }
}
