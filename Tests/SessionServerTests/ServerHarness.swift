// ServerHarness: builds the session server's router over a MemorySessionStore and drives it like a browser.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import SessionStore
import SessionTokens
import Testing

@testable import session_server

/// A test server: the router, its store and its own Prometheus registry (no global metrics bootstrap).
struct TestServer {
    let store: any SessionStore
    let registry = PrometheusCollectorRegistry()
    let instanceID: String
    let password = "correct horse battery staple"
    /// Access tokens over an in-memory family store, with keys derived from a random keyring.
    let tokens: TokenService
    /// Browser mode: refresh tokens in the `rt` cookie.
    let refreshTokenCookie: RefreshTokenCookie?
    /// `--reauth-window`.
    var reauthenticationWindow: Duration = .seconds(600)

    init(
        store: (any SessionStore)? = nil, instanceID: String = "test-1", tokens: TokenService? = nil,
        refreshTokenCookie: RefreshTokenCookie? = nil
    ) throws {
        self.store = try store ?? MemorySessionStore()
        self.instanceID = instanceID
        self.tokens = try tokens ?? Self.memoryTokens()
        self.refreshTokenCookie = refreshTokenCookie
    }

    /// A token service over a memory store; its revocation list is fresh for as long as the test follows it.
    static func memoryTokens(keyring: SessionKeyring = .ephemeral(), families: TokenFamilyConfiguration = .init()) throws -> TokenService {
        let codec = try AccessTokenCodec(keys: JWTKeySet.derived(from: keyring),
                                         configuration: .init(issuer: "session-server", audience: "session-api"))
        return try TokenService(store: try MemoryTokenFamilyStore(configuration: families), codec: codec)
    }

    func app(healthCheck: @escaping @Sendable () async -> Bool = { true }, tracesRequests: Bool = false) throws -> some ApplicationProtocol {
        let registry = self.registry
        let settings = ServerSettings(
            instanceID: instanceID,
            sessions: .insecureLocal(),
            users: DemoUsers(["alice": password, "bob": password]),
            reauthenticationWindow: reauthenticationWindow,
            tokens: tokens,
            refreshTokenCookie: refreshTokenCookie,
            healthCheck: healthCheck,
            metricsFactory: PrometheusMetricsFactory(registry: registry),
            metricsText: { registry.emitToString() },
            tracesRequests: tracesRequests
        )
        return Application(router: try ServerApp.buildRouter(store: store, settings: settings))
    }
}

/// A cookie jar of one: the `sid` cookie and the last CSRF token.
struct Browser {
    var cookie: String?
    var csrf: String?

    func headers(json: Bool = false, csrf: Bool = true) -> HTTPFields {
        var fields = HTTPFields()
        if let cookie { fields[.cookie] = "sid=\(cookie)" }
        if csrf, let token = self.csrf { fields[HTTPField.Name("X-CSRF-Token")!] = token }
        if json { fields[.contentType] = "application/json" }
        return fields
    }

    /// Takes a new or cleared cookie from the response.
    mutating func absorb(_ response: TestResponse) {
        for header in response.headers[values: .setCookie] {
            let first = header.split(separator: ";")[0]
            guard first.hasPrefix("sid=") else { continue }
            let value = String(first.dropFirst(4))
            cookie = value.isEmpty ? nil : value
        }
    }

    /// Sends a request, keeping cookies.
    mutating func send(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, body: String? = nil, csrf: Bool = true
    ) async throws -> TestResponse {
        let response = try await client.execute(
            uri: uri, method: method, headers: headers(json: body != nil, csrf: csrf),
            body: body.map { ByteBuffer(string: $0) }
        )
        absorb(response)
        return response
    }

    /// GET /csrf then POST /login.
    mutating func login(_ client: some TestClientProtocol, user: String = "alice", password: String) async throws {
        let csrfResponse = try await send(client, .get, "/csrf")
        csrf = try csrfResponse.json()["csrfToken"] as? String
        let response = try await send(client, .post, "/login", body: #"{"username":"\#(user)","password":"\#(password)"}"#)
        guard response.status == .ok else { throw Failure("login failed: \(response.status) \(String(buffer: response.body))") }
        csrf = try response.json()["csrfToken"] as? String
    }
}

extension TestResponse {
    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8))
        guard let dictionary = object as? [String: Any] else { throw Failure("not a JSON object: \(String(buffer: body))") }
        return dictionary
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
