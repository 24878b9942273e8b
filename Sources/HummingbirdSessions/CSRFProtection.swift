// CSRFProtection: the checks on state-changing requests: fetch metadata, Origin, synchronizer token.

import HTTPTypes
import Hummingbird
import SessionHTTP
import SessionStore

/// CSRF checks for POST, PUT, PATCH and DELETE requests (unless their path is exempt):
/// 1. `Sec-Fetch-Site: cross-site` → 403;
/// 2. an `Origin` header that is neither the request's own origin nor an allowed one → 403;
/// 3. the session's synchronizer token must arrive in the CSRF header or, for an
///    `application/x-www-form-urlencoded` body, in the CSRF form field; compared in constant time → else 403.
struct CSRFProtection: Sendable {
    static let protectedMethods: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    let configuration: SessionsConfiguration
    let headerName: HTTPField.Name
    let allowedOrigins: Set<String>

    init(configuration: SessionsConfiguration) {
        self.configuration = configuration
        self.headerName = HTTPField.Name(configuration.csrfHeaderName) ?? HTTPField.Name("X-CSRF-Token")!
        self.allowedOrigins = Set(configuration.allowedOrigins.map { $0.lowercased() })
    }

    /// Whether `request` must pass the checks.
    func applies(to request: Request) -> Bool {
        Self.protectedMethods.contains(request.method) && !configuration.csrfExemptPaths.contains(request.uri.path)
    }

    /// Runs the checks; the request's body may be collected (and kept readable) to find the form field.
    /// - Throws: ``SessionsError`` 403 when refused, 503 when the store is unavailable, 413 for an oversized form.
    func check(_ request: inout Request, sessions: RequestSessions) async throws(SessionsError) {
        let fetchSites = request.headers[values: Self.secFetchSite]
        if fetchSites.contains(where: { $0.lowercased() == "cross-site" }) {
            throw refuse(.crossSite, "cross-site request refused")
        }
        let origins = request.headers[values: .origin]
        if origins.count > 1 { throw refuse(.foreignOrigin, "several Origin headers") }
        if let origin = origins.first, !isAllowed(origin: origin, request: request) {
            throw refuse(.foreignOrigin, "request origin not allowed")
        }
        guard let session = try await sessions.current() else {
            throw refuse(.missingCSRFToken, "missing CSRF token: no session")
        }
        guard let supplied = try await suppliedToken(&request) else {
            throw refuse(.missingCSRFToken, "missing CSRF token")
        }
        guard CSRFInput.matches(supplied, expected: session.csrfToken) else {
            throw refuse(.invalidCSRFToken, "invalid CSRF token")
        }
    }

    /// Counts a refusal and makes its 403.
    private func refuse(_ reason: RefusalReason, _ message: String) -> SessionsError {
        SessionsMetrics.refused(reason)
        return SessionsError(.forbidden, message)
    }

    /// `true` for the request's own origin (`https://<Host>`, or `http://<Host>` when the cookie is not `Secure`)
    /// or a configured one.
    func isAllowed(origin: String, request: Request) -> Bool {
        let origin = origin.lowercased()
        if allowedOrigins.contains(origin) { return true }
        guard let authority = request.head.authority else { return false }
        let scheme = configuration.secure ? "https" : "http"
        return origin == "\(scheme)://\(authority.lowercased())"
    }

    /// The token from the header (exactly one) or the form field (exactly one); `nil` when absent or ambiguous.
    func suppliedToken(_ request: inout Request) async throws(SessionsError) -> String? {
        let headerValues = request.headers[values: headerName]
        guard headerValues.isEmpty, CSRFInput.isForm(contentType: request.headers[.contentType]) else {
            return CSRFInput.supplied(headerValues: headerValues, formBody: nil, field: configuration.csrfFormField)
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maximumFormBytes)
        } catch {
            throw SessionsError(.contentTooLarge, "form too large")
        }
        return CSRFInput.supplied(headerValues: [], formBody: String(buffer: body), field: configuration.csrfFormField)
    }
}
