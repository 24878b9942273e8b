// VaporSessionsMetrics: counters of the requests the Vapor sessions middleware refuses, by reason.

import Metrics

/// Why the middleware refused a request (the `reason` dimension of `sessions_http_refused_total`, the same
/// counter and reasons as the Hummingbird middleware's, so that one dashboard serves both).
enum RefusalReason: String, Sendable, CaseIterable {
    case crossSite = "cross_site"
    case foreignOrigin = "foreign_origin"
    case missingCSRFToken = "missing_csrf_token"
    case invalidCSRFToken = "invalid_csrf_token"
    case oversizedCookie = "oversized_cookie"
    case storeUnavailable = "store_unavailable"
    case ambiguousCookies = "ambiguous_cookies"
}

/// Counters for refusals; created once per reason.
enum VaporSessionsMetrics {
    private static let counters: [RefusalReason: Counter] = {
        var counters: [RefusalReason: Counter] = [:]
        for reason in RefusalReason.allCases {
            counters[reason] = Counter(label: "sessions_http_refused_total", dimensions: [("reason", reason.rawValue)])
        }
        return counters
    }()

    /// Counts one refusal.
    static func refused(_ reason: RefusalReason) {
        counters[reason]?.increment()
    }
}
