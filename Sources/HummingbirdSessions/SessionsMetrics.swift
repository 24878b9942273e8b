// SessionsMetrics: counters of the requests the sessions middleware refuses, by reason.

import Metrics

/// Why the middleware refused a request (the `reason` dimension of `sessions_http_refused_total`).
enum RefusalReason: String, Sendable {
    case crossSite = "cross_site"
    case foreignOrigin = "foreign_origin"
    case missingCSRFToken = "missing_csrf_token"
    case invalidCSRFToken = "invalid_csrf_token"
    case oversizedCookie = "oversized_cookie"
    case storeUnavailable = "store_unavailable"
    case ambiguousCookies = "ambiguous_cookies"
}

/// Counters for refusals; created once per reason.
enum SessionsMetrics {
    private static let counters: [RefusalReason: Counter] = {
        let reasons: [RefusalReason] = [
            .crossSite, .foreignOrigin, .missingCSRFToken, .invalidCSRFToken, .oversizedCookie, .storeUnavailable,
            .ambiguousCookies,
        ]
        var counters: [RefusalReason: Counter] = [:]
        for reason in reasons {
            counters[reason] = Counter(label: "sessions_http_refused_total", dimensions: [("reason", reason.rawValue)])
        }
        return counters
    }()

    /// Counts one refusal.
    static func refused(_ reason: RefusalReason) {
        counters[reason]?.increment()
    }
}
