// VirtualUser: one browser-like client with its own cookie jar (the session cookie) and CSRF token.

import NIOHTTP1
import Testing

/// A client that keeps its `__Host-sid` cookie and CSRF token across requests, like a browser tab.
///
/// ```swift
/// var alice = VirtualUser(topology)
/// try await alice.login("alice")
/// let me = try await alice.send(.GET, "/me")
/// ```
struct VirtualUser {
    let topology: Topology
    /// The session token from the last `Set-Cookie` (`nil` when none or cleared).
    var token: String?
    /// The CSRF token from the last `/csrf`, `/login` or `/renew` response.
    var csrf: String?

    init(_ topology: Topology) { self.topology = topology }

    /// Sends a request through HAProxy with the cookie and, for state-changing methods, the CSRF token; takes
    /// the new or cleared cookie from the response.
    /// - Parameters:
    ///   - withCSRF: `false` leaves out `X-CSRF-Token`.
    ///   - headers: more headers (sent after the cookie and the token).
    mutating func send(
        _ method: HTTPMethod, _ path: String, json: String? = nil, withCSRF: Bool = true, headers: [(String, String)] = []
    ) async throws -> Reply {
        var all: [(String, String)] = []
        if let token { all.append(("Cookie", "\(Topology.cookieName)=\(token)")) }
        if withCSRF, method != .GET, let csrf { all.append(("X-CSRF-Token", csrf)) }
        let reply = try await topology.send(method, path, headers: all + headers, json: json)
        absorb(reply)
        return reply
    }

    /// Keeps the session cookie a response sets, or forgets it when the response clears it.
    mutating func absorb(_ reply: Reply) {
        for header in reply.setCookies {
            guard let cookie = SetCookie(header), cookie.name == Topology.cookieName else { continue }
            token = cookie.value.isEmpty || cookie.maxAge == 0 ? nil : cookie.value
        }
    }

    /// `GET /csrf`: starts an anonymous session (when there is none) and keeps its CSRF token.
    @discardableResult
    mutating func fetchCSRF() async throws -> Reply {
        let reply = try await send(.GET, "/csrf")
        guard reply.status == 200, let token = reply.string("csrfToken") else { throw TopologyError("GET /csrf: \(reply.summary)") }
        csrf = token
        return reply
    }

    /// `GET /csrf`, then `POST /login` with the demo password; keeps the new cookie and CSRF token.
    /// - Throws: ``TopologyError`` when the login is not answered with 200.
    @discardableResult
    mutating func login(_ user: String, password: String = Topology.password) async throws -> Reply {
        try await fetchCSRF()
        let reply = try await send(.POST, "/login", json: #"{"username":"\#(user)","password":"\#(password)"}"#)
        guard reply.status == 200, let csrf = reply.string("csrfToken") else { throw TopologyError("POST /login as \(user): \(reply.summary)") }
        self.csrf = csrf
        return reply
    }

    /// The logged-in token, or a recorded failure.
    func requireToken(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(token, "no session cookie", sourceLocation: sourceLocation)
    }
}
