// SessionStoreError+Outcome: the snake_case outcome name of each error code, shared by metrics and spans.

extension SessionStoreError.Code {
    /// The outcome an operation failing with this code reports: `not_found`, `conflict`, `already_rotated`, `limit`,
    /// `unavailable`, `too_large`, `not_a_number`, `invalid_attribute_name`, `undecodable_attribute`,
    /// `invalid_configuration` (the names of `session_store_operations_total`'s `outcome` label).
    public var outcome: String {
        switch self {
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .alreadyRotated: "already_rotated"
        case .limitReached: "limit"
        case .unavailable: "unavailable"
        case .tooLarge: "too_large"
        case .notANumber: "not_a_number"
        case .invalidAttributeName: "invalid_attribute_name"
        case .undecodableAttribute: "undecodable_attribute"
        case .invalidConfiguration: "invalid_configuration"
        default: "error"
        }
    }
}
