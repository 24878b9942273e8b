// ServerDuration: parses durations such as 500ms, 30s, 15m, 12h for command-line options.

import ArgumentParser
import SessionStore

/// A duration given on the command line: a number followed by `ms`, `s`, `m` or `h` (`30s`, `15m`, `1.5h`).
struct ServerDuration: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let duration: Duration
    let text: String

    init?(argument: String) {
        guard let duration = DurationText.parse(argument) else { return nil }
        self.duration = duration
        self.text = argument
    }

    var description: String { text }
}
