// StoredSession: the store's `Session` under a name that Vapor's own `Session` class does not shadow.

import SessionStore

/// The `SessionStore` module's `Session` (a loaded session: metadata, typed attributes, pending changes).
///
/// In a file that imports both Vapor and `SessionStore`, the plain name `Session` is ambiguous (Vapor has a
/// `Session` class, and the module name `SessionStore` is shadowed by the protocol of that name), so this module
/// and its users write `StoredSession`.
public typealias StoredSession = Session
