// DateFormattingTests: the hand-written ISO-8601 formatter agrees with Foundation's.

import Foundation
import Testing

@testable import session_server

@Suite struct DateFormattingTests {
    /// Foundation's formatting, as the server used before.
    static func foundation(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    @Test("fixed dates: epoch, leap days, ends of years and centuries")
    func fixed() {
        #expect(Date(timeIntervalSince1970: 0).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(Date(timeIntervalSince1970: 951_782_400.5).iso8601 == "2000-02-29T00:00:00.500Z")
        #expect(Date(timeIntervalSince1970: 4_107_542_399.999).iso8601 == "2100-02-28T23:59:59.999Z")
        #expect(Date(timeIntervalSince1970: 1_798_761_599.001).iso8601 == "2026-12-31T23:59:59.001Z")
        #expect(Date(timeIntervalSince1970: -1).iso8601 == "1969-12-31T23:59:59.000Z")
    }

    @Test("agrees with Foundation on 20,000 dates at millisecond precision, 1900 to 2400")
    func randomDates() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let milliseconds = Int64.random(in: -2_208_988_800_000...13_569_465_600_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            // Foundation truncates, and the Double is often a hair below the millisecond it was made from (it then
            // shows one less); rounding to the nearest millisecond equals Foundation half a millisecond later.
            #expect(date.iso8601 == Self.foundation(date.addingTimeInterval(0.0005)), "\(milliseconds) ms")
        }
    }
}
