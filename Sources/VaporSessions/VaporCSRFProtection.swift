// VaporCSRFProtection: the checks on state-changing Vapor requests: fetch metadata, Origin, synchronizer token.

import SessionHTTP
import SessionStore
import Vapor

/// CSRF checks for POST, PUT, PATCH and DELETE requests (unless their path is exempt), as the Hummingbird
/// middleware makes them:
/// 1. `Sec-Fetch-Site: cross-site` → 403;
/// 2. an `Origin` header that is neither the request's own origin nor an allowed one → 403;
/// 3. the session's synchronizer token must arrive in the CSRF header or, for an
///    `application/x-www-form-urlencoded` body, in the CSRF form field; compared in constant time → else 403.
struct VaporCSRFProtection: Sendable {
    static let secFetchSite = HTTPHeaders.Name("Sec-Fetch-Site")

    let configuration: VaporSessionsConfiguration
    let headerName: HTTPHeaders.Name
    let allowedOrigins: Set<String>

    init(configuration: VaporSessionsConfiguration) {
        self.configuration = configuration
        self.headerName = HTTPHeaders.Name(configuration.csrfHeaderName)
        self.allowedOrigins = Set(configuration.allowedOrigins.map { $0.lowercased() })
    }

    /// Whether `request` must pass the checks.
    func applies(to request: Request) -> Bool {
        switch request.method {
        case .POST, .PUT, .PATCH, .DELETE: !configuration.csrfExemptPaths.contains(request.url.path)
        default: false
        }
    }

    /// Runs the checks; the request's body may be collected (and stays readable) to find the form field.
    /// - Throws: ``VaporSessionsError`` 403 when refused, 503 when the store is unavailable, 413 for an oversized
    ///   form.
    func check(_ request: Request, sessions: VaporRequestSessions) async throws(VaporSessionsError) {
        let headers = request.headers
        if headers[Self.secFetchSite].contains(where: { $0.lowercased() == "cross-site" }) {
            throw refuse(.crossSite, "cross-site request refused")
        }
        let origins = headers[.origin]
        if origins.count > 1 { throw refuse(.foreignOrigin, "several Origin headers") }
        if let origin = origins.first, !isAllowed(origin: origin, host: headers[.host]) {
            throw refuse(.foreignOrigin, "request origin not allowed")
        }
        guard let session = try await sessions.current() else {
            throw refuse(.missingCSRFToken, "missing CSRF token: no session")
        }
        guard let supplied = try await suppliedToken(request) else {
            throw refuse(.missingCSRFToken, "missing CSRF token")
        }
        guard CSRFInput.matches(supplied, expected: session.csrfToken) else {
            throw refuse(.invalidCSRFToken, "invalid CSRF token")
        }
    }

    /// Counts a refusal and makes its 403.
    private func refuse(_ reason: RefusalReason, _ message: String) -> VaporSessionsError {
        VaporSessionsMetrics.refused(reason)
        return VaporSessionsError(.forbidden, message)
    }

    /// `true` for the request's own origin (`https://<Host>`, or `http://<Host>` when the cookie is not `Secure`)
    /// or a configured one. With no `Host` header, or several, only configured origins pass.
    func isAllowed(origin: String, host: [String]) -> Bool {
        let origin = origin.lowercased()
        if allowedOrigins.contains(origin) { return true }
        guard host.count == 1, let authority = host.first, !authority.isEmpty else { return false }
        let scheme = configuration.secure ? "https" : "http"
        return origin == "\(scheme)://\(authority.lowercased())"
    }

    /// The token from the header (exactly one) or the form field (exactly one); `nil` when absent or ambiguous.
    func suppliedToken(_ request: Request) async throws(VaporSessionsError) -> String? {
        let headerValues = request.headers[headerName]
        guard headerValues.isEmpty, CSRFInput.isForm(contentType: request.headers.first(name: .contentType)) else {
            return CSRFInput.supplied(headerValues: headerValues, formBody: nil, field: configuration.csrfFormField)
        }
        let body: ByteBuffer?
        do {
            // Collected into the request (`req.body.data`), so the route still reads it. A body the server had
            // already collected comes back whatever its size, hence the second check.
            body = try await request.body.collect(max: configuration.maximumFormBytes).get()
        } catch {
            throw VaporSessionsError(.payloadTooLarge, "form too large")
        }
        if let body, body.readableBytes > configuration.maximumFormBytes {
            throw VaporSessionsError(.payloadTooLarge, "form too large")
        }
        let form = body.map { String(buffer: $0) } ?? ""
        return CSRFInput.supplied(headerValues: [], formBody: form, field: configuration.csrfFormField)
    }
}
