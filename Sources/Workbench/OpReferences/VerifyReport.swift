import Foundation

/// The result of replaying every case of an op reference file: what `workbench verify` prints.
public struct VerifyReport {
    public struct Row {
        public let caseName: String
        public let op: String
        public let comparison: TensorComparison
    }

    public let file: OpReferenceFile
    public private(set) var rows: [Row] = []
    /// Cases that could not be replayed at all (malformed case, unknown op), with the error.
    public private(set) var errors: [(caseName: String, message: String)] = []

    /// Replays the cases whose name contains `filter` (all when `nil`).
    public init(file: OpReferenceFile, filter: String? = nil) {
        self.file = file
        for name in file.caseNames where filter.map({ name.contains($0) }) ?? true {
            do {
                let reference = try file.loadCase(name)
                for comparison in try OpReplay.run(reference) {
                    rows.append(Row(caseName: name, op: reference.op, comparison: comparison))
                }
            } catch {
                errors.append((name, "\(error)"))
            }
        }
    }

    public var passed: Bool { errors.isEmpty && rows.allSatisfy(\.comparison.passed) }
    public var caseCount: Int { Set(rows.map(\.caseName)).count + errors.count }
    public var failures: [TensorComparison] { rows.map(\.comparison).filter { !$0.passed } }

    /// One line per compared tensor: case, tensor, shape, max abs error, max rel error, tolerance, verdict.
    public func table() -> String {
        var lines = [pad("case / tensor", 72) + pad("shape", 16) + pad("max abs", 11) + pad("max rel", 11)
                     + pad("atol", 9) + pad("rtol", 9) + "result"]
        for row in rows {
            let c = row.comparison
            lines.append(pad(c.name, 72) + pad("\(c.expectedShape)", 16) + pad(format(c.maxAbsoluteError), 11)
                         + pad(format(c.maxRelativeError), 11) + pad(format(c.tolerance.absolute), 9)
                         + pad(format(c.tolerance.relative), 9) + (c.passed ? "pass" : "FAIL"))
        }
        for (name, message) in errors { lines.append(pad(name, 72) + "ERROR: \(message)") }
        return lines.joined(separator: "\n")
    }

    /// Worst absolute and relative error per op, and the verdict.
    public func summary() -> String {
        var lines = ["op                    cases  tensors  worst abs err  worst rel err  result"]
        for op in Set(rows.map(\.op)).sorted() {
            let opRows = rows.filter { $0.op == op }
            let worstAbs = opRows.map(\.comparison.maxAbsoluteError).max() ?? 0
            let worstRel = opRows.map(\.comparison.maxRelativeError).max() ?? 0
            let ok = opRows.allSatisfy(\.comparison.passed)
            lines.append(pad(op, 22) + pad("\(Set(opRows.map(\.caseName)).count)", 7) + pad("\(opRows.count)", 9)
                         + pad(format(worstAbs), 15) + pad(format(worstRel), 15) + (ok ? "pass" : "FAIL"))
        }
        let failing = failures.count + errors.count
        lines.append("\(caseCount) cases, \(rows.count) tensors compared: "
                     + (failing == 0 ? "all passed" : "\(failing) FAILED"))
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func format(_ value: Float) -> String { String(format: "%.2e", Double(value)) }
}
