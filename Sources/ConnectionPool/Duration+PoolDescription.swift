// Short human-readable text for a Duration ("250ms", "1.5s"), used in error messages and logs.

extension Duration {
    /// The duration as "250ms", "1.5s" or "12µs".
    var poolDescription: String {
        let (seconds, attoseconds) = components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        if microseconds < 1_000 {
            return "\(microseconds)µs"
        }
        let milliseconds = microseconds / 1_000
        if milliseconds < 1_000 {
            return "\(milliseconds)ms"
        }
        var fraction = milliseconds % 1_000
        let whole = milliseconds / 1_000
        guard fraction != 0 else { return "\(whole)s" }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let padded = String(repeating: "0", count: digits - String(fraction).count) + String(fraction)
        return "\(whole).\(padded)s"
    }

    /// The duration in nanoseconds as a floating-point number.
    var nanosecondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}
