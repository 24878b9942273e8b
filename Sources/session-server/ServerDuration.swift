// ServerDuration: parses durations such as 500ms, 30s, 15m, 12h for command-line options.

import ArgumentParser

/// A duration given on the command line: a number followed by `ms`, `s`, `m` or `h` (`30s`, `15m`, `1.5h`).
struct ServerDuration: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let duration: Duration
    let text: String

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where argument.hasSuffix(suffix) {
            // "10ms" also ends in "s": accept only when what is left is a plain number.
            guard let value = Double(argument.dropLast(suffix.count)), value > 0, value.isFinite else { continue }
            duration = .milliseconds(Int64((value * seconds * 1000).rounded()))
            text = argument
            return
        }
        return nil
    }

    var description: String { text }
}
