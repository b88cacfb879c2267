import Foundation

/// The confusion matrix as a heat map: an HTML table whose rows are the true classes and columns the predicted
/// ones (sklearn's `confusion_matrix` layout), each cell shaded by its share of the row (the fraction of that
/// class's images) - blue on the diagonal (right), red off it (confusions) - with the count written in it and the
/// class names and percentages in its tooltip. Beyond `labelledLimit` classes the counts are left out of the cells
/// (the tooltips keep them) so the table stays readable.
public struct ConfusionHeatMap: Sendable {
    public var classes: [String]
    public var matrix: [[Int]]
    public var labelledLimit = 30

    public init(classes: [String], matrix: [[Int]]) {
        self.classes = classes
        self.matrix = matrix
    }

    /// The `<table>`.
    public var html: HTML {
        let labelled = classes.count <= labelledLimit
        var header: [HTML] = [.tag("th", [("class", "corner")], text: "true \u{2193} / predicted \u{2192}")]
        for name in classes {
            header.append(.tag("th", [("class", "col"), ("title", name)], [.tag("span", text: name)]))
        }
        var rows: [HTML] = [.tag("tr", [], header)]
        for (t, row) in matrix.enumerated() {
            let total = row.reduce(0, +)
            var cells: [HTML] = [.tag("th", [("class", "row"), ("title", classes[t])], text: classes[t])]
            for (p, count) in row.enumerated() {
                let share = total == 0 ? 0 : Double(count) / Double(total)
                let tip =
                    "true \(classes[t]), predicted \(classes[p]): \(count) of \(total) "
                    + String(format: "(%.1f%%)", share * 100)
                let colour = t == p ? "37, 99, 235" : "220, 38, 38"
                let style = String(format: "background: rgba(\(colour), %.3f)", count == 0 ? 0 : 0.08 + 0.92 * share)
                let ink = share > 0.55 ? " dark" : ""
                cells.append(
                    .tag(
                        "td",
                        [("class", "cell" + (t == p ? " diagonal" : "") + ink), ("style", style), ("title", tip)],
                        text: labelled && count > 0 ? "\(count)" : ""))
            }
            rows.append(.tag("tr", [], cells))
        }
        return .tag("table", [("class", "confusion")], rows)
    }
}
