// BenchDuration: parses durations such as 500ms, 10s, 2m, 1h for command-line options.

import ArgumentParser
import Foundation
import SessionStore

/// A duration given on the command line: a number followed by `ms`, `s`, `m` or `h` (`10s`, `1.5s`, `250ms`).
struct BenchDuration: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let duration: Duration

    init?(argument: String) {
        guard let duration = DurationText.parse(argument) else { return nil }
        self.duration = duration
    }

    var seconds: Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    var description: String { "\(seconds)s" }

    /// A duration for messages: `2.5s`.
    static func text(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        return String(format: "%.1fs", Double(whole) + Double(attoseconds) / 1e18)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
