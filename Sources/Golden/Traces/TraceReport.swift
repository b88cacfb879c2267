import Foundation
import Tensors

/// What `workbench check` prints for one trace: every comparison by phase, the worst error of each phase, and the
/// first divergence in the order things happened (forward module, then loss, gradients, step states).
public struct TraceReport {
    public let trace: TraceFile
    public let checks: [TraceReplay.Check]

    public init(trace: TraceFile, initialState: [(key: String, value: Tensor)]? = nil) throws {
        self.trace = trace
        checks = try TraceReplay.run(trace, initialState: initialState)
    }

    public var passed: Bool { checks.allSatisfy(\.comparison.passed) }

    /// The first comparison that failed, in replay order.
    public var firstDivergence: TraceReplay.Check? { checks.first { !$0.comparison.passed } }

    /// One line per comparison.
    public func table() -> String {
        var lines = [
            pad("phase", 9) + pad("tensor", 56) + pad("max abs", 11) + pad("max rel", 11)
                + pad("torch f32 noise", 16) + "result"
        ]
        for check in checks {
            let c = check.comparison
            lines.append(
                pad(check.phase, 9) + pad(c.name, 56) + pad(format(c.maxAbsoluteError), 11)
                    + pad(format(c.maxRelativeError), 11) + pad(check.float64Error.map(format) ?? "-", 16)
                    + (c.passed ? "pass" : "FAIL"))
        }
        return lines.joined(separator: "\n")
    }

    /// Worst errors per phase, the verdict, and the first divergence with its index, values and tolerance.
    public func summary() -> String {
        let name = URL(fileURLWithPath: trace.path).lastPathComponent
        var phases: [String] = []
        for check in checks where !phases.contains(check.phase) { phases.append(check.phase) }
        var lines = [
            "\(name): \(checks.count) tensors, "
                + (passed ? "all passed" : "\(checks.filter { !$0.comparison.passed }.count) FAILED")
        ]
        for phase in phases {
            let group = checks.filter { $0.phase == phase }.map(\.comparison)
            lines.append(
                "  " + pad(phase, 9) + pad("\(group.count) tensors", 13)
                    + "worst abs \(format(group.map(\.maxAbsoluteError).max() ?? 0)), "
                    + "worst rel \(format(group.map(\.maxRelativeError).max() ?? 0))")
        }
        if let first = firstDivergence {
            lines.append("  first divergence (\(first.phase)): \(first.comparison)")
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func format(_ value: Float) -> String { String(format: "%.2e", Double(value)) }
}

extension TraceReplay {
    /// A trace's checks as a ``ReplayResult`` (for `workbench regress`).
    public static func result(_ report: TraceReport) -> ReplayResult {
        var result = ReplayResult()
        for check in report.checks { result.append(check.comparison) }
        return result
    }
}
