// LatencyPlotTests: the nines axis, tick steps, and a well-formed SVG with one line per series.

import Foundation
import Histogram
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import session_bench

@Suite struct LatencyPlotTests {
    @Test func ninesAxis() {
        #expect(LatencyPlot.percentile(nines: 0) == 0)
        #expect(abs(LatencyPlot.percentile(nines: 1) - 90) < 1e-9)
        #expect(abs(LatencyPlot.percentile(nines: 2) - 99) < 1e-9)
        #expect(abs(LatencyPlot.percentile(nines: 4) - 99.99) < 1e-9)
    }

    @Test func tickSteps() {
        #expect(LatencyPlot.tickStep(maximum: 12) == 2)
        #expect(LatencyPlot.tickStep(maximum: 0.9) == 0.2)
        #expect(LatencyPlot.tickStep(maximum: 270) == 50)
        #expect(LatencyPlot.tickStep(maximum: 0) == 1)
    }

    @Test func pointsFollowTheHistogram() {
        var histogram = LoadResult.makeHistogram()
        for micros in 1...1000 { _ = histogram.record(UInt64(micros * 10)) }
        let points = LatencyPlot.points(histogram)
        #expect(points.count == 81)
        #expect(points.first!.nines == 0 && points.last!.nines == 4)
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.ms <= $1.ms })
        #expect(abs(points[20].ms - 9.0) < 0.05)  // p90 of 0.01...10 ms
    }

    @Test func svgIsWellFormedWithALinePerSeries() throws {
        var fast = LoadResult.makeHistogram()
        var slow = LoadResult.makeHistogram()
        for micros in 1...500 {
            _ = fast.record(UInt64(micros))
            _ = slow.record(UInt64(micros * 20))
        }
        let svg = LatencyPlot(title: "a <test> & more", series: [.init(name: "GET /me", latencies: fast), .init(name: "POST /login", latencies: slow)]).svg()
        #expect(svg.components(separatedBy: "<polyline").count == 3)
        #expect(svg.contains("a &lt;test&gt; &amp; more") && svg.contains("99.99%") && svg.contains("latency (ms)"))
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse())
    }
}
