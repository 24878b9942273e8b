// Topology+HTTP: requests through HAProxy or straight to one instance, and bounded waits with the logs attached.

import AsyncHTTPClient
import NIOHTTP1

extension Topology {
    /// The session cookie's name.
    static let cookieName = "__Host-sid"

    /// Sends a request through HAProxy.
    func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], json: String? = nil) async throws -> Reply {
        try await fetch(client, url + path, method: method, headers: headers, json: json)
    }

    /// Sends a request through HAProxy with only the session cookie `token` (no CSRF token).
    func send(_ method: HTTPMethod, _ path: String, token: String) async throws -> Reply {
        try await send(method, path, headers: [("Cookie", "\(Self.cookieName)=\(token)")])
    }

    /// Sends a request straight to instance `index` (0, 1, 2), bypassing HAProxy (plain HTTP).
    func sendDirect(to index: Int, _ method: HTTPMethod, _ path: String, headers: [(String, String)] = []) async throws -> Reply {
        try await fetch(client, "http://127.0.0.1:\(instancePorts[index])" + path, method: method, headers: headers)
    }

    /// Sends `GET path` with `token` through HAProxy until all three instances have answered (at most 15
    /// requests) and returns every reply; HAProxy's round-robin normally needs three.
    func sendToEveryInstance(_ path: String, token: String) async throws -> [Reply] {
        var replies: [Reply] = []
        var seen: Set<String> = []
        for _ in 0..<15 where seen.count < Self.instanceIDs.count {
            let reply = try await send(.GET, path, token: token)
            replies.append(reply)
            if let instance = reply.instance { seen.insert(instance) }
        }
        return replies
    }

    /// ``eventually(_:timeout:interval:logs:_:)`` with this topology's log tails in the failure message.
    @discardableResult
    func waitUntil<Value>(
        _ what: String, timeout: Duration, interval: Duration = .milliseconds(100), _ condition: () async throws -> Value?
    ) async throws -> Value {
        try await eventually(what, timeout: timeout, interval: interval, logs: logTails, condition)
    }
}
