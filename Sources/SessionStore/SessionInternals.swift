// SessionInternals: helpers the store implementations of this package share (salts, hashes, time, summaries).

import Crypto
import Foundation

/// Shared by the store implementations (package-internal).
package enum SessionInternals {
    /// Lowercase hex SHA-1, as Lua's `redis.sha1hex` computes it.
    package static func sha1Hex(_ text: String) -> String {
        Insecure.SHA1.hash(data: Array(text.utf8)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Milliseconds since 1970 as a date.
    package static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// A session summary for a stored id.
    package static func summary(id: String, createdAt: Int64, lastAccessAt: Int64) -> SessionSummary {
        SessionSummary(handle: SessionIdentity.handle(forID: id), createdAt: date(milliseconds: createdAt),
                       lastAccessAt: date(milliseconds: lastAccessAt))
    }

    /// The attributes' total size (names plus values).
    package static func size(of attributes: [String: [UInt8]]) -> Int {
        attributes.reduce(0) { $0 + $1.key.utf8.count + $1.value.count }
    }
}
