// BenchDuration: parses durations such as 500ms, 10s, 2m, 1h for command-line options.

import ArgumentParser

/// A duration given on the command line: a number followed by `ms`, `s`, `m` or `h` (`10s`, `1.5s`, `250ms`).
struct BenchDuration: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let duration: Duration

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where argument.hasSuffix(suffix) {
            let number = argument.dropLast(suffix.count)
            // "10ms" also ends in "s": only accept when what is left is a plain number.
            guard let value = Double(number), value > 0, value.isFinite else { continue }
            duration = .milliseconds(Int64((value * seconds * 1000).rounded()))
            return
        }
        return nil
    }

    var seconds: Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    var description: String { "\(seconds)s" }

    static var defaultCompletionKind: CompletionKind { .default }
}
