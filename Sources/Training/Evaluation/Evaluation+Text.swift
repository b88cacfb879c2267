import Foundation

extension Evaluation {
    /// The evaluation as the terminal shows it: accuracy and mean loss, a classification report laid out like
    /// scikit-learn's `classification_report` (precision, recall, F1, support per class, then the macro and weighted
    /// averages), the confusion matrix (up to `matrixLimit` classes; larger ones are in evaluation.json and the
    /// report), the most-confused pairs and the highest-loss images. Names are escaped (``TerminalText``).
    public func text(matrixLimit: Int = 20) -> String {
        var lines: [String] = []
        lines.append(
            "\(images) images, \(classes.count) classes: accuracy \(Self.fixed(accuracy)), mean loss "
                + Self.fixed(meanLoss))
        if !skipped.isEmpty {
            lines.append(
                "skipped \(skipped.count) unreadable file(s): "
                    + skipped.map(TerminalText.escaped).joined(separator: ", "))
        }
        lines.append("")
        lines += classificationReport()
        if classes.count <= matrixLimit {
            lines.append("")
            lines += confusionMatrixLines()
        } else {
            lines.append("")
            lines.append("confusion matrix: \(classes.count) classes, see evaluation.json or the report")
        }
        if !mostConfused.isEmpty {
            lines.append("")
            lines.append("most confused (true -> predicted):")
            for pair in mostConfused {
                lines.append(
                    "  \(TerminalText.escaped(pair.trueClass)) -> \(TerminalText.escaped(pair.predictedClass)): "
                        + "\(pair.count) (\(Self.percent(pair.fraction)) of \(TerminalText.escaped(pair.trueClass)))")
            }
        }
        if !worst.isEmpty {
            lines.append("")
            lines.append("highest loss:")
            lines += table(
                header: ["loss", "p(pred)", "true", "predicted", "path"],
                rows: worst.map { sample in
                    [
                        Self.fixed(sample.loss), Self.fixed(sample.probability), sample.trueClass,
                        sample.predictedClass, sample.path,
                    ]
                }, rightAligned: [0, 1], indent: "  ")
        }
        return lines.joined(separator: "\n")
    }

    /// The classification report's rows.
    func classificationReport() -> [String] {
        var rows = perClass.map { scores in
            [
                scores.name, Self.fixed(scores.precision), Self.fixed(scores.recall), Self.fixed(scores.f1),
                "\(scores.support)",
            ]
        }
        rows.append(["", "", "", "", ""])
        rows.append(["accuracy", "", "", Self.fixed(accuracy), "\(images)"])
        rows.append([
            "macro avg", Self.fixed(macro.precision), Self.fixed(macro.recall), Self.fixed(macro.f1), "\(images)",
        ])
        rows.append([
            "weighted avg", Self.fixed(weighted.precision), Self.fixed(weighted.recall), Self.fixed(weighted.f1),
            "\(images)",
        ])
        return table(
            header: ["", "precision", "recall", "f1-score", "support"], rows: rows, rightAligned: [1, 2, 3, 4])
    }

    /// The confusion matrix with class names on both axes.
    func confusionMatrixLines() -> [String] {
        let header = ["true \\ predicted"] + classes
        let rows = classes.indices.map { t in [classes[t]] + confusionMatrix[t].map { "\($0)" } }
        return ["confusion matrix (rows: true class, columns: predicted class):"]
            + table(header: header, rows: rows, rightAligned: Set(1..<header.count))
    }

    /// Rows padded to aligned columns (cells escaped first, so widths are those shown).
    func table(header: [String], rows: [[String]], rightAligned: Set<Int>, indent: String = "") -> [String] {
        let all = ([header] + rows).map { $0.map(TerminalText.escaped) }
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            let cells = row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }
            return indent + cells.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }

    static func fixed(_ value: Double) -> String { String(format: "%.4f", value) }
    static func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
