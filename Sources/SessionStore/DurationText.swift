// DurationText: parses durations written as a number and a unit (500ms, 30s, 15m, 12h), for options and env vars.

/// Durations as people write them in options and environment variables.
public enum DurationText {
    /// Parses a positive number followed by `ms`, `s`, `m` or `h` (`30s`, `1.5h`, `250ms`); `nil` otherwise.
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            // "10ms" also ends in "s": accept only when what is left is a plain number.
            guard let value = Double(text.dropLast(suffix.count)), value > 0, value.isFinite else { continue }
            return .milliseconds(Int64((value * seconds * 1000).rounded()))
        }
        return nil
    }
}
