// StoreBackend+Tracing: the stores wrapped in their tracing decorators when the server traces.

import SessionStore
import SessionTokens
import Tracing

extension StoreBackend {
    /// The same backend with its stores wrapped in `TracedSessionStore` and `TracedTokenFamilyStore` (spans
    /// `session.*` and `token_family.*`, no user names); unchanged when `tracer` is `nil`.
    func traced(_ tracer: (any Tracer)?) -> StoreBackend {
        guard let tracer else { return self }
        return StoreBackend(
            store: Self.wrap(store, tracer), tokenStore: Self.wrap(tokenStore, tracer), client: client, embedded: embedded,
            description: description)
    }

    private static func wrap(_ store: some SessionStore, _ tracer: any Tracer) -> any SessionStore {
        TracedSessionStore(store, tracer: tracer)
    }

    private static func wrap(_ store: some TokenFamilyStore, _ tracer: any Tracer) -> any TokenFamilyStore {
        TracedTokenFamilyStore(store, tracer: tracer)
    }
}
