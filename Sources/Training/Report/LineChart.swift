import Foundation

/// A line chart of per-epoch values as inline SVG (no script, no external file): one polyline and dot per epoch
/// for each series, axes with round tick values, a legend, and an optional marker on one epoch (the best).
public struct LineChart: Sendable {
    /// One line: its legend label, the CSS class that colours it, and one value per epoch (epoch 1 first).
    public struct Series: Sendable {
        public var label: String
        public var cssClass: String
        public var values: [Double]

        public init(label: String, cssClass: String, values: [Double]) {
            self.label = label
            self.cssClass = cssClass
            self.values = values
        }
    }

    public var title: String
    public var series: [Series]
    /// The y axis range; nil: from 0 to the largest finite value, rounded up to a tick.
    public var yRange: ClosedRange<Double>?
    /// The epoch to mark with a vertical line (1-based), e.g. the best one.
    public var markedEpoch: Int?
    public var width = 520.0
    public var height = 280.0

    public init(title: String, series: [Series], yRange: ClosedRange<Double>? = nil, markedEpoch: Int? = nil) {
        self.title = title
        self.series = series
        self.yRange = yRange
        self.markedEpoch = markedEpoch
    }

    static let margin = (left: 52.0, right: 16.0, top: 34.0, bottom: 40.0)

    /// The `<svg>` element.
    public var html: HTML {
        let epochs = series.map(\.values.count).max() ?? 0
        let finite = series.flatMap(\.values).filter(\.isFinite)
        let range = yRange ?? 0...LineChart.roundedUp(max(finite.max() ?? 1, 1e-9))
        let m = LineChart.margin
        let plot = (x: m.left, y: m.top, width: width - m.left - m.right, height: height - m.top - m.bottom)
        func x(_ epoch: Int) -> Double {
            epochs <= 1 ? plot.x + plot.width / 2 : plot.x + plot.width * Double(epoch - 1) / Double(epochs - 1)
        }
        func y(_ value: Double) -> Double {
            let clamped = min(max(value, range.lowerBound), range.upperBound)
            return plot.y + plot.height * (1 - (clamped - range.lowerBound) / (range.upperBound - range.lowerBound))
        }
        var nodes: [HTML] = [
            .tag("title", text: title),
            .tag("text", [("x", "\(m.left)"), ("y", "20"), ("class", "chart-title")], text: title),
        ]
        for tick in LineChart.ticks(range) {
            nodes.append(
                .tag(
                    "line",
                    [
                        ("x1", LineChart.format(plot.x)), ("x2", LineChart.format(plot.x + plot.width)),
                        ("y1", LineChart.format(y(tick))), ("y2", LineChart.format(y(tick))), ("class", "grid"),
                    ]))
            nodes.append(
                .tag(
                    "text",
                    [("x", LineChart.format(plot.x - 6)), ("y", LineChart.format(y(tick) + 4)), ("class", "tick-y")],
                    text: LineChart.label(tick)))
        }
        for epoch in LineChart.epochTicks(epochs) {
            nodes.append(
                .tag(
                    "text",
                    [
                        ("x", LineChart.format(x(epoch))), ("y", LineChart.format(plot.y + plot.height + 16)),
                        ("class", "tick-x"),
                    ], text: "\(epoch)"))
        }
        nodes.append(
            .tag(
                "text",
                [
                    ("x", LineChart.format(plot.x + plot.width / 2)), ("y", LineChart.format(height - 6)),
                    ("class", "axis-label"),
                ], text: "epoch"))
        if let marked = markedEpoch, (1...max(epochs, 1)).contains(marked), epochs > 0 {
            nodes.append(
                .tag(
                    "line",
                    [
                        ("x1", LineChart.format(x(marked))), ("x2", LineChart.format(x(marked))),
                        ("y1", LineChart.format(plot.y)), ("y2", LineChart.format(plot.y + plot.height)),
                        ("class", "marker"),
                    ]))
            nodes.append(
                .tag(
                    "text",
                    [
                        // Beside the line, on the side with room (left of it in the chart's right half).
                        ("x", LineChart.format(x(marked) + (x(marked) > plot.x + plot.width / 2 ? -4 : 4))),
                        ("y", LineChart.format(plot.y + 12)),
                        ("class", x(marked) > plot.x + plot.width / 2 ? "marker-label end" : "marker-label"),
                    ], text: "best"))
        }
        nodes.append(
            .tag(
                "line",
                [
                    ("x1", LineChart.format(plot.x)), ("x2", LineChart.format(plot.x + plot.width)),
                    ("y1", LineChart.format(plot.y + plot.height)), ("y2", LineChart.format(plot.y + plot.height)),
                    ("class", "axis"),
                ]))
        for line in series {
            let points = line.values.enumerated().filter { $0.element.isFinite }.map { epoch, value in
                LineChart.format(x(epoch + 1)) + "," + LineChart.format(y(value))
            }
            nodes.append(
                .tag("polyline", [("points", points.joined(separator: " ")), ("class", "line " + line.cssClass)]))
            for (epoch, value) in line.values.enumerated() where value.isFinite {
                nodes.append(
                    .tag(
                        "circle",
                        [
                            ("cx", LineChart.format(x(epoch + 1))), ("cy", LineChart.format(y(value))), ("r", "3"),
                            ("class", "dot " + line.cssClass),
                        ],
                        [.tag("title", text: "\(line.label), epoch \(epoch + 1): \(LineChart.label(value, digits: 4))")]
                    ))
            }
        }
        for (index, line) in series.enumerated() {
            // In the top margin, right-aligned on the title's line, so no value can hide under it.
            let left = plot.x + plot.width - Double(series.count - index) * 96
            let top = 16.0
            nodes.append(
                .tag(
                    "line",
                    [
                        ("x1", LineChart.format(left)), ("x2", LineChart.format(left + 18)),
                        ("y1", LineChart.format(top)), ("y2", LineChart.format(top)),
                        ("class", "line " + line.cssClass),
                    ]))
            nodes.append(
                .tag(
                    "text",
                    [("x", LineChart.format(left + 24)), ("y", LineChart.format(top + 4)), ("class", "legend")],
                    text: line.label))
        }
        return .tag(
            "svg",
            [
                ("xmlns", "http://www.w3.org/2000/svg"),
                ("viewBox", "0 0 \(LineChart.format(width)) \(LineChart.format(height))"),
                ("class", "chart"), ("role", "img"), ("aria-label", title),
            ], nodes)
    }

    /// `value` rounded up to 1, 2 or 5 times a power of ten.
    static func roundedUp(_ value: Double) -> Double {
        let power = pow(10, floor(log10(value)))
        for step in [1.0, 2, 5, 10] where step * power >= value * (1 - 1e-12) { return step * power }
        return 10 * power
    }

    /// Four or five round values from the bottom to the top of `range`.
    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return [range.lowerBound] }
        let step = roundedUp(span / 5)
        var values: [Double] = []
        var tick = (range.lowerBound / step).rounded(.up) * step
        while tick <= range.upperBound + step * 1e-9 {
            values.append(tick)
            tick += step
        }
        return values
    }

    /// The epochs labelled on the x axis: all of them up to 12, else about ten evenly spaced plus the last.
    static func epochTicks(_ epochs: Int) -> [Int] {
        guard epochs > 12 else { return Array(1...max(epochs, 1)) }
        let step = Int(roundedUp(Double(epochs) / 10))
        return Array(Set([1] + Array(stride(from: step, through: epochs, by: step)) + [epochs])).sorted()
    }

    /// A coordinate with two decimals (enough for a 500-pixel chart, and short).
    static func format(_ value: Double) -> String { String(format: "%.2f", value) }

    /// A tick or tooltip value without trailing zeros.
    static func label(_ value: Double, digits: Int = 3) -> String {
        var text = String(format: "%.\(digits)f", value)
        while text.contains("."), text.last == "0" { text.removeLast() }
        if text.last == "." { text.removeLast() }
        return text
    }
}
