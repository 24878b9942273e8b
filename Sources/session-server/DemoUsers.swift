// DemoUsers: the demo accounts (from a JSON file or alice/bob), checked in constant time.

import Crypto
import Foundation
import SessionStore

/// The users that may log in, with their passwords. Passwords are compared as SHA-256 digests in constant
/// time, and an unknown user costs the same as a known one.
struct DemoUsers: Sendable {
    private let digests: [String: [UInt8]]

    /// Users from a `{"user": "password"}` dictionary.
    init(_ passwords: [String: String]) {
        digests = passwords.mapValues { Self.digest($0) }
    }

    /// Users from a JSON file `{"user": "password"}`.
    init(file path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        self.init(try JSONDecoder().decode([String: String].self, from: data))
    }

    var names: [String] { digests.keys.sorted() }

    /// `true` when `password` is the user's.
    func verify(user: String, password: String) -> Bool {
        let supplied = Self.digest(password)
        let expected = digests[user] ?? Self.digest("\u{0}unknown-user")
        let matches = ConstantTime.equal(supplied, expected)
        return matches && digests[user] != nil
    }

    private static func digest(_ password: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(password.utf8)))
    }

    /// A random password of 16 URL-safe characters.
    static func randomPassword() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
