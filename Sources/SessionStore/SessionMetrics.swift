// SessionMetrics: counters for the events a session store reports (bad tokens, undecodable data, theft, operations).

import Metrics

/// The store's counters, created once on first use (after the application bootstrapped its metrics backend).
package enum SessionMetrics {
    private static let malformed = Counter(label: "session_malformed_tokens_total")
    private static let undecodable = Counter(label: "session_undecodable_attributes_total")
    private static let theft = Counter(label: "session_suspected_theft_total")
    /// operation → outcome → counter (looked up without building a key string on the hot path).
    private static let operations: [String: [String: Counter]] = {
        var counters: [String: [String: Counter]] = [:]
        let outcomes = ["ok", "grace", "none", "theft", "not_found", "conflict", "already_rotated", "limit"]
        for operation in ["create", "load", "save", "increment", "rotate", "destroy"] {
            for outcome in outcomes {
                counters[operation, default: [:]][outcome] = Counter(
                    label: "session_store_operations_total", dimensions: [("op", operation), ("outcome", outcome)])
            }
        }
        return counters
    }()

    /// A token that failed the format check (length, alphabet, unknown key version).
    package static func malformedToken() { malformed.increment() }
    /// A stored attribute that no longer decodes as the requested type.
    package static func undecodableAttribute() { undecodable.increment() }
    /// A rotated-away token used after its grace window.
    package static func suspectedTheft() { theft.increment() }
    /// A store operation, by kind and outcome.
    package static func operation(_ name: String, outcome: String) {
        operations[name]?[outcome]?.increment()
    }
}
