import Foundation

/// The result of replaying every case of an op reference file: what `workbench verify` prints.
public struct VerifyReport {
    public struct Row {
        public let caseName: String
        public let op: String
        public let comparison: TensorComparison
        /// PyTorch's own float32-vs-float64 error for this tensor, and ours as a multiple of it.
        public let float64Error: Float?
        public let errorRatio: Float?
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
                for check in try OpReplay.checks(reference) {
                    rows.append(
                        Row(
                            caseName: name, op: reference.op, comparison: check.comparison,
                            float64Error: check.float64Error, errorRatio: check.errorRatio))
                }
            } catch {
                errors.append((name, "\(error)"))
            }
        }
    }

    public var passed: Bool { errors.isEmpty && rows.allSatisfy(\.comparison.passed) }
    public var caseCount: Int { Set(rows.map(\.caseName)).count + errors.count }
    public var failures: [TensorComparison] { rows.map(\.comparison).filter { !$0.passed } }

    /// One line per compared tensor: case, tensor, shape, max abs error, max rel error, PyTorch's own float64
    /// error and ours as a multiple of it, tolerance, verdict.
    public func table() -> String {
        var lines = [
            pad("case / tensor", 72) + pad("shape", 16) + pad("max abs", 11) + pad("max rel", 11)
                + pad("torch f64", 11) + pad("ratio", 8) + pad("atol", 11) + pad("rtol", 9) + "result"
        ]
        for row in rows {
            let c = row.comparison
            lines.append(
                pad(c.name, 72) + pad("\(c.expectedShape)", 16) + pad(format(c.maxAbsoluteError), 11)
                    + pad(format(c.maxRelativeError), 11) + pad(row.float64Error.map(format) ?? "-", 11)
                    + pad(row.errorRatio.map { String(format: "%.2f", Double($0)) } ?? "-", 8)
                    + pad(format(c.tolerance.absolute), 11) + pad(format(c.tolerance.relative), 9)
                    + (c.passed ? "pass" : "FAIL"))
        }
        for (name, message) in errors { lines.append(pad(name, 72) + "ERROR: \(message)") }
        return lines.joined(separator: "\n")
    }

    /// Worst absolute and relative error per op, and the verdict.
    public func summary() -> String {
        var lines = [
            "op                    cases  tensors  worst abs err  worst rel err  worst ratio  worst/tol  result"
        ]
        for op in Set(rows.map(\.op)).sorted() {
            let opRows = rows.filter { $0.op == op }
            let worstAbs = opRows.map(\.comparison.maxAbsoluteError).max() ?? 0
            let worstRel = opRows.map(\.comparison.maxRelativeError).max() ?? 0
            let worstRatio = opRows.compactMap(\.errorRatio).max()
            let ok = opRows.allSatisfy(\.comparison.passed)
            lines.append(
                pad(op, 22) + pad("\(Set(opRows.map(\.caseName)).count)", 7) + pad("\(opRows.count)", 9)
                    + pad(format(worstAbs), 15) + pad(format(worstRel), 15)
                    + pad(worstRatio.map { String(format: "%.2f", Double($0)) } ?? "-", 13)
                    + pad(String(format: "%.2f", Double(opRows.map(\.comparison.worstViolation).max() ?? 0)), 11)
                    + (ok ? "pass" : "FAIL"))
        }
        let failing = failures.count + errors.count
        if let closest = rows.max(by: { $0.comparison.worstViolation < $1.comparison.worstViolation }) {
            // Ratios only where the error exceeds the float32 base: below it the base alone decides.
            let beyondBase = rows.filter { $0.comparison.maxAbsoluteError > Tolerance.float32.absolute }
            let ratio = beyondBase.compactMap(\.errorRatio).max().map { String(format: "%.2fx", Double($0)) } ?? "-"
            lines.append(
                "closest to failing: " + String(format: "%.2f", Double(closest.comparison.worstViolation))
                    + " of its tolerance (\(closest.comparison.name)); worst error as a multiple of PyTorch's "
                    + "own float32-vs-float64 error, beyond the float32 base: \(ratio) (the tolerance adds "
                    + "\(Int(OpTolerances.factor))x)")
        }
        lines.append(
            "\(caseCount) cases, \(rows.count) tensors compared: "
                + (failing == 0 ? "all passed" : "\(failing) FAILED"))
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func format(_ value: Float) -> String { String(format: "%.2e", Double(value)) }
}
