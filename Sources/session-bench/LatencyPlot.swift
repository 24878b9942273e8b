// LatencyPlot: a hand-written SVG chart of latency by percentile, one line per endpoint, on a "nines" axis.

import Foundation
import Histogram

/// Latency (ms, linear y) against percentile on a logarithmic "nines" x axis: 0%, 90%, 99%, 99.9%, 99.99%.
///
/// Position `x` on the axis (0 to 4) stands for the percentile `100 × (1 − 10^−x)`, so each decade of the tail gets
/// the same width. Each series is sampled at 20 points per decade from its histogram.
struct LatencyPlot {
    /// One line of the chart: a name and latencies in microseconds.
    struct Series {
        let name: String
        let latencies: Histogram<UInt64>
    }

    let title: String
    let series: [Series]

    static let decades = 4.0
    static let samplesPerDecade = 20

    /// The percentile at position `nines` of the axis: 0 → 0, 1 → 90, 2 → 99, 3 → 99.9, 4 → 99.99.
    static func percentile(nines: Double) -> Double {
        100 * (1 - pow(10, -nines))
    }

    /// The sampled points of a histogram: (position on the nines axis, latency in ms).
    static func points(_ histogram: Histogram<UInt64>) -> [(nines: Double, ms: Double)] {
        let count = Int(decades) * samplesPerDecade
        return (0...count).map { step in
            let nines = Double(step) / Double(samplesPerDecade)
            return (nines, Double(histogram.valueAtPercentile(percentile(nines: nines))) / 1000)
        }
    }

    /// A "nice" tick step (1, 2 or 5 × 10^n) giving about `ticks` ticks up to `maximum`.
    static func tickStep(maximum: Double, ticks: Int = 6) -> Double {
        guard maximum > 0 else { return 1 }
        let raw = maximum / Double(ticks)
        let magnitude = pow(10, floor(log10(raw)))
        let normalized = raw / magnitude
        let nice: Double = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// `&`, `<`, `>`, `"` escaped for XML text and attributes.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                         "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"]

    /// The SVG document.
    func svg() -> String {
        let (width, height) = (960.0, 540.0)
        let (left, right, top, bottom) = (70.0, 300.0, 50.0, 60.0)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let sampled = series.map { (name: $0.name, points: Self.points($0.latencies)) }
        let highest = sampled.flatMap { $0.points.map(\.ms) }.max() ?? 0
        let step = Self.tickStep(maximum: highest)
        let yMax = max(step, (highest / step).rounded(.up) * step)
        func x(_ nines: Double) -> Double { left + nines / Self.decades * plotWidth }
        func y(_ ms: Double) -> Double { top + plotHeight - ms / yMax * plotHeight }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }

        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left + plotWidth / 2))" y="28" text-anchor="middle" font-size="16">\(Self.escape(title))</text>

            """
        // Grid and ticks.
        for decade in 0...Int(Self.decades) {
            let position = x(Double(decade))
            let label = decade == 0 ? "0%" : String(format: "%g%%", Self.percentile(nines: Double(decade)))
            out += "<line x1=\"\(f(position))\" y1=\"\(f(top))\" x2=\"\(f(position))\" y2=\"\(f(top + plotHeight))\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(f(position))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(label)</text>\n"
        }
        var tick = 0.0
        while tick <= yMax + step / 2 {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y(tick)))\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(String(format: "%g", tick))</text>\n"
            tick += step
        }
        // Axes and their labels.
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\">percentile (log scale of nines)</text>\n"
        out += "<text x=\"18\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f(top + plotHeight / 2)))\">latency (ms)</text>\n"
        // One line per series, and the legend.
        for (index, line) in sampled.enumerated() {
            let color = Self.colors[index % Self.colors.count]
            let points = line.points.map { "\(f(x($0.nines))),\(f(y($0.ms)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            let legendY = top + 10 + Double(index) * 20
            out += "<line x1=\"\(f(width - right + 20))\" y1=\"\(f(legendY))\" x2=\"\(f(width - right + 44))\" y2=\"\(f(legendY))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            out += "<text x=\"\(f(width - right + 50))\" y=\"\(f(legendY + 4))\">\(Self.escape(line.name))</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// Writes the SVG document to `path`.
    func write(to path: String) throws {
        try Data(svg().utf8).write(to: URL(fileURLWithPath: path))
    }
}
