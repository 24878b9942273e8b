// SessionMetrics: counters for the events a session store reports (bad tokens, undecodable data, theft).

import Metrics

/// The store's counters. Each is created at the moment of the event, so they follow whatever metrics backend
/// is bootstrapped by then.
package enum SessionMetrics {
    /// A token that failed the format check (length, alphabet, unknown key version).
    package static func malformedToken() { Counter(label: "session_malformed_tokens_total").increment() }
    /// A stored attribute that no longer decodes as the requested type.
    package static func undecodableAttribute() { Counter(label: "session_undecodable_attributes_total").increment() }
    /// A rotated-away token used after its grace window.
    package static func suspectedTheft() { Counter(label: "session_suspected_theft_total").increment() }
    /// A store operation, by kind and outcome.
    package static func operation(_ name: String, outcome: String) {
        Counter(label: "session_store_operations_total", dimensions: [("op", name), ("outcome", outcome)]).increment()
    }
}
