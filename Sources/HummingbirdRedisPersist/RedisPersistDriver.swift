// RedisPersistDriver: Hummingbird's PersistDriver (key/value with expiry) over this package's Redis client.

import Foundation
import HiredisClient
import Hummingbird

/// A Hummingbird `PersistDriver` that stores JSON-encoded values in Redis through ``RedisClient`` (or any
/// ``RedisCommandExecutor``), so apps using hummingbird-auth's `SessionMiddleware` / `SessionStorage` (or
/// `PersistDriver` directly) can keep their data in the same Redis as this package's session store.
///
/// ```swift
/// let persist = RedisPersistDriver(redis: redisClient)
/// router.add(middleware: SessionMiddleware(storage: persist))
/// ```
///
/// Commands: `SET key json NX [PX ms]` for `create`; `SET key json PX ms` for `set` with an expiry, and
/// `SET key json XX KEEPTTL` without one (an update: the existing expiry is kept, and a key that is gone, e.g.
/// deleted by another instance at logout, is never recreated without an expiry: that throws
/// ``RedisPersistDriverError/missingKey``); `GET`/`PTTL` for `get`, `DEL` for `remove`. The driver owns no
/// background work; run the `RedisClient` itself as a service.
public struct RedisPersistDriver: PersistDriver {
    let redis: any RedisCommandExecutor
    let keyPrefix: String

    /// Creates the driver.
    /// - Parameters:
    ///   - redis: the client (or connection) to run commands on.
    ///   - keyPrefix: prepended to every key, to keep these keys apart from others in the database.
    public init(redis: any RedisCommandExecutor, keyPrefix: String = "persist:") {
        self.redis = redis
        self.keyPrefix = keyPrefix
    }

    /// Creates `key` with `value`; throws `PersistError.duplicate` when it exists.
    public func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        var arguments: [any RedisArgument] = [keyPrefix + key, try Self.encode(value), "NX"]
        if let expires { arguments += ["PX", Self.milliseconds(expires)] }
        let reply = try await redis.send(RedisCommand("SET", arguments: arguments))
        if reply.isNull { throw PersistError.duplicate }
    }

    /// Sets `key` to `value` with a new expiry; with `expires` nil, updates an existing key and keeps its expiry.
    /// - Throws: ``RedisPersistDriverError/missingKey`` when `expires` is nil and the key does not exist (it
    ///   expired or was removed): nothing is written.
    public func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        var arguments: [any RedisArgument] = [keyPrefix + key, try Self.encode(value)]
        if let expires { arguments += ["PX", Self.milliseconds(expires)] } else { arguments += ["XX", "KEEPTTL"] }
        let reply = try await redis.send(RedisCommand("SET", arguments: arguments))
        if expires == nil && reply.isNull { throw RedisPersistDriverError.missingKey }
    }

    /// The value of `key`, or `nil`; throws `PersistError.invalidConversion` when it does not decode as `Object`.
    public func get<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> Object? {
        guard let bytes = try await redis.send("GET", keyPrefix + key).bytes else { return nil }
        return try Self.decode(bytes, as: type)
    }

    /// The value of `key` and its remaining time to live (`nil` when it has no expiry).
    public func getWithTTL<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        let replies = try await redis.pipeline([RedisCommand("GET", keyPrefix + key), RedisCommand("PTTL", keyPrefix + key)])
        guard replies.count == 2, let bytes = replies[0].bytes else { return nil }
        let object = try Self.decode(bytes, as: type)
        guard let milliseconds = replies[1].int, milliseconds >= 0 else { return (object, nil) }
        return (object, .milliseconds(milliseconds))
    }

    /// Deletes `key`.
    public func remove(key: String) async throws {
        try await redis.send("DEL", keyPrefix + key)
    }

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    static func decode<Object: Decodable>(_ bytes: [UInt8], as type: Object.Type) throws -> Object {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch { throw PersistError.invalidConversion }
    }

    /// Whole milliseconds, at least 1 (Redis refuses `PX 0`).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// A failure of ``RedisPersistDriver`` that Hummingbird's `PersistError` has no case for.
///
/// It is an `HTTPResponseError`: when it escapes a request (hummingbird-auth's `SessionMiddleware` updates an edited
/// session without an expiry, and the session ended meanwhile on another instance), the client gets
/// 401 `session ended`, never a 500.
public struct RedisPersistDriverError: HTTPResponseError, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable { case missingKey }
    private let code: Code

    /// An update without an expiry found no key (it expired, or another instance removed it); nothing was written.
    public static let missingKey = RedisPersistDriverError(code: .missingKey)

    /// 401: the data (a session) the request wanted to update is gone.
    public var status: HTTPResponse.Status { .unauthorized }

    /// A JSON `{"error": …}` response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: #"{"error":"session ended"}"#)))
    }

    public var description: String {
        switch code {
        case .missingKey: "RedisPersistDriverError.missingKey: the key does not exist (expired or removed); set it with an expiry to create it"
        }
    }
}
