// SessionMetrics: counters for the events a session store reports (bad tokens, undecodable data, theft, operations).

import Metrics

/// The store's counters, created once on first use (after the application bootstrapped its metrics backend).
package enum SessionMetrics {
    private static let malformed = Counter(label: "session_malformed_tokens_total")
    private static let undecodable = Counter(label: "session_undecodable_attributes_total")
    private static let theft = Counter(label: "session_suspected_theft_total")
    private static let unconfirmed = Counter(label: "session_revocations_unconfirmed_total")
    /// operation → outcome → counter (looked up without building a key string on the hot path). Only the outcomes an
    /// operation can have get a series, so the exported metrics hold no always-zero nonsense such as create/theft.
    private static let operations: [String: [String: Counter]] = {
        let outcomes: KeyValuePairs<String, [String]> = [
            "create": ["ok", "limit"],
            "load": ["ok", "grace", "none", "theft"],
            "save": ["ok", "conflict", "not_found"],
            "increment": ["ok", "not_found"],
            "rotate": ["ok", "already_rotated", "conflict", "not_found", "limit"],
            "destroy": ["ok"],
        ]
        var counters: [String: [String: Counter]] = [:]
        for (operation, names) in outcomes {
            for outcome in names {
                counters[operation, default: [:]][outcome] = Counter(
                    label: "session_store_operations_total", dimensions: [("op", operation), ("outcome", outcome)])
            }
        }
        return counters
    }()

    /// A token that failed the format check (length, alphabet, unknown key version).
    package static func malformedToken() {
        malformed.increment()
        SessionStoreTracing.recordOutcome("malformed")
    }
    /// A stored attribute that no longer decodes as the requested type.
    package static func undecodableAttribute() { undecodable.increment() }
    /// A rotated-away token used after its grace window.
    package static func suspectedTheft() { theft.increment() }
    /// A revocation (logout, rotation) the replicas did not confirm within the durable-revocation timeout.
    package static func revocationUnconfirmed() { unconfirmed.increment() }
    /// A store operation, by kind and outcome (also the outcome of its span, when traced).
    package static func operation(_ name: String, outcome: String) {
        operations[name]?[outcome]?.increment()
        SessionStoreTracing.recordOutcome(outcome)
    }

    /// A store operation that failed, counted under the outcome its error code stands for (other codes are not counted).
    package static func operation(_ name: String, failedWith code: SessionStoreError.Code) {
        guard [.notFound, .conflict, .alreadyRotated, .limitReached].contains(code) else { return }
        operation(name, outcome: code.outcome)
    }
}
