// Routes+Data: the per-session counter (atomic increments) and preferences (one attribute per key).

import Hummingbird
import HummingbirdSessions

extension ServerApp {
    static let counterAttribute = "counter"
    static let prefPrefix = "pref."

    static func addDataRoutes(to group: RouterGroup<ServerContext>) {
        group.get("/counter") { _, context in
            _ = try await requireLogin(context)
            return CounterBody(value: try await context.sessions.get(counterAttribute, as: Int64.self) ?? 0)
        }
        group.post("/counter/increment") { _, context in
            _ = try await requireLogin(context)
            return CounterBody(value: try await context.sessions.increment(counterAttribute))
        }
        group.get("/prefs") { _, context in
            let session = try await requireLogin(context)
            var prefs: [String: JSONValue] = [:]
            for name in session.attributeNames where name.hasPrefix(prefPrefix) {
                if let value = try await context.sessions.get(name, as: JSONValue.self) {
                    prefs[String(name.dropFirst(prefPrefix.count))] = value
                }
            }
            return PrefsBody(prefs: prefs)
        }
        group.put("/prefs/{key}") { request, context in
            _ = try await requireLogin(context)
            let key = try context.parameters.require("key")
            guard isValidPrefKey(key) else {
                throw APIError(.badRequest, message: "a preference key is 1-64 characters of A-Z a-z 0-9 _ -")
            }
            let body: PrefRequest
            do {
                body = try await request.decode(as: PrefRequest.self, context: context)
            } catch {
                throw APIError(.badRequest, message: "expected JSON {\"value\": ...}")
            }
            try await context.sessions.set(prefPrefix + key, to: body.value)
            return PrefBody(key: key, value: body.value)
        }
    }

    /// 1 to 64 ASCII letters, digits, `_` or `-`.
    static func isValidPrefKey(_ key: String) -> Bool {
        (1...64).contains(key.utf8.count) && key.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }
}
