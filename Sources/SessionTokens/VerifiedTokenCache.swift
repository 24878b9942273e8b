// VerifiedTokenCache: the claims of tokens whose signature was verified recently, by exact token text.

import Synchronization

/// Maps the exact text of recently verified tokens to their parsed claims, so that a token presented again (a
/// client sends the same bearer token on every request until it expires) skips the signature check and parsing.
///
/// Only tokens that passed every check are added; a hit still has its issuer, audience and times checked by the
/// codec. Bounded by two generations: when the current one is full it becomes the previous one (the older
/// previous generation is dropped), and a hit in the previous generation moves the token to the current one.
/// Keys are ASCII (the codec refuses any other character before looking up), so `String` equality is byte
/// equality here.
final class VerifiedTokenCache: Sendable {
    private struct Generations {
        var current: [String: AccessTokenClaims] = [:]
        var previous: [String: AccessTokenClaims] = [:]
    }

    /// Entries per generation (at most twice this in all).
    let generationCapacity: Int
    private let state = Mutex(Generations())

    /// Creates a cache of at most `capacity` tokens.
    init(capacity: Int) {
        generationCapacity = max(1, capacity / 2)
    }

    /// The claims of a verified token, if it is cached.
    func claims(for token: String) -> AccessTokenClaims? {
        let (claims, dropped) = state.withLock { state -> (AccessTokenClaims?, [String: AccessTokenClaims]) in
            if let claims = state.current[token] { return (claims, [:]) }
            guard let claims = state.previous.removeValue(forKey: token) else { return (nil, [:]) }
            return (claims, Self.insert(token, claims, into: &state, capacity: generationCapacity))
        }
        withExtendedLifetime(dropped) {}   // a dropped generation is freed after the lock is released
        return claims
    }

    /// Remembers the claims of a token that passed every check.
    func insert(_ token: String, _ claims: AccessTokenClaims) {
        let dropped = state.withLock { state in Self.insert(token, claims, into: &state, capacity: generationCapacity) }
        withExtendedLifetime(dropped) {}   // freed after the lock is released
    }

    /// How many tokens are cached (for tests).
    var count: Int { state.withLock { $0.current.count + $0.previous.count } }

    /// Inserts, turning a full current generation into the previous one; returns the dropped generation.
    private static func insert(
        _ token: String, _ claims: AccessTokenClaims, into state: inout Generations, capacity: Int
    ) -> [String: AccessTokenClaims] {
        var dropped: [String: AccessTokenClaims] = [:]
        if state.current.count >= capacity {
            dropped = state.previous
            state.previous = state.current
            state.current = Dictionary(minimumCapacity: capacity)
        }
        state.current[token] = claims
        return dropped
    }
}
