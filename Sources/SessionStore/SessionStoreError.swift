// SessionStoreError: every failure of a session store, as one struct wrapping a private code.

/// A failure of a session store: what happened and what to do.
///
/// Unknown, malformed, expired and destroyed tokens are not errors: `load` returns `nil` for them, so that a
/// bad cookie is "no session", never a 500.
public struct SessionStoreError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: Sendable, Hashable {
            case invalidConfiguration, tooLarge, notFound, conflict, alreadyRotated, limitReached
            case undecodableAttribute, notANumber, unavailable, invalidAttributeName
        }
        fileprivate let base: Base

        /// A configuration value is invalid (short secret, zero timeout…).
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// The session would exceed the size limit; nothing was written.
        public static let tooLarge = Code(base: .tooLarge)
        /// The session no longer exists (expired, destroyed, rotated away): nothing was written.
        public static let notFound = Code(base: .notFound)
        /// The revision check failed: someone saved the session since it was loaded; nothing was written.
        public static let conflict = Code(base: .conflict)
        /// The session was already rotated (another request did it first); nothing was written.
        public static let alreadyRotated = Code(base: .alreadyRotated)
        /// The user has the maximum number of sessions and the policy is to refuse new ones.
        public static let limitReached = Code(base: .limitReached)
        /// A stored attribute no longer decodes as the requested type (e.g. after a deploy changed it).
        public static let undecodableAttribute = Code(base: .undecodableAttribute)
        /// An increment targeted an attribute that does not hold an integer.
        public static let notANumber = Code(base: .notANumber)
        /// The backing store did not answer in time or failed; callers should fail closed.
        public static let unavailable = Code(base: .unavailable)
        /// An attribute name is empty, too long, or reserved.
        public static let invalidAttributeName = Code(base: .invalidAttributeName)

        public var description: String { "\(base)" }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, in words (never a token).
    public let message: String
    /// The underlying error, for `.unavailable`.
    public let underlying: (any Error)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "SessionStoreError.\(code): \(message)" }
}
