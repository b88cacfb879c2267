import Foundation
import Tensors

/// What `workbench check` prints for one trace: every comparison by phase, the worst error of each phase, each
/// check's verdict, the near-ties, and the first divergence in the order things happened (forward module, then
/// loss, gradients, step states).
///
/// Verdicts: a local check (a module or step fed PyTorch's own state) passes or fails; an end-to-end check passes,
/// fails, or - when its float64-derived tolerance exceeds ``TraceReplay/informativeFraction`` of the value - is
/// "not informative", never "passed"; an end-to-end failure after a near-tie (a discrete choice that flipped) is
/// reported as "diverged after a near-tie" with the tie, and fails the trace only if a local check also fails.
public struct TraceReport {
    public enum Verdict: String, Sendable {
        case passed
        case failed = "FAILED"
        case notInformative = "not informative"
        case afterNearTie = "diverged after a near-tie"
    }

    public let trace: TraceFile
    public let checks: [TraceReplay.Check]
    public let nearTies: [TraceReplay.NearTie]
    public let verdicts: [Verdict]

    public init(trace: TraceFile, initialState: [(key: String, value: Tensor)]? = nil) throws {
        self.trace = trace
        let outcome = try TraceReplay.run(trace, initialState: initialState)
        checks = outcome.checks
        nearTies = outcome.nearTies
        let firstTie = outcome.nearTies.map(\.position).min() ?? Int.max
        verdicts = outcome.checks.enumerated().map { position, check in
            if check.comparison.passed { return check.informative ? .passed : .notInformative }
            if check.scope == .endToEnd && position >= firstTie { return .afterNearTie }
            return .failed
        }
    }

    public var passed: Bool { !verdicts.contains(.failed) }

    public func count(_ verdict: Verdict) -> Int { verdicts.filter { $0 == verdict }.count }

    /// The first comparison that failed, in replay order.
    public var firstDivergence: TraceReplay.Check? {
        zip(checks, verdicts).first { $0.1 == .failed }?.0
    }

    /// One line per comparison.
    public func table() -> String {
        var lines = [
            pad("phase", 9) + pad("scope", 11) + pad("tensor", 56) + pad("max abs", 11) + pad("max rel", 11)
                + pad("torch f32 noise", 16) + "result"
        ]
        for (check, verdict) in zip(checks, verdicts) {
            let c = check.comparison
            lines.append(
                pad(check.phase, 9) + pad(check.scope.rawValue, 11) + pad(c.name, 56)
                    + pad(format(c.maxAbsoluteError), 11)
                    + pad(format(c.maxRelativeError), 11) + pad(check.float64Error.map(format) ?? "-", 16)
                    + (verdict == .passed ? "pass" : verdict.rawValue))
        }
        return lines.joined(separator: "\n")
    }

    /// Worst errors per phase, the verdict counts, the near-ties and the first divergence with its index, values
    /// and tolerance.
    public func summary() -> String {
        let name = URL(fileURLWithPath: trace.path).lastPathComponent
        var phases: [String] = []
        for check in checks where !phases.contains(check.phase) { phases.append(check.phase) }
        let local = checks.filter { $0.scope == .local }.count
        var counts = ["\(count(.passed)) passed"]
        if count(.failed) > 0 { counts.append("\(count(.failed)) FAILED") }
        if count(.notInformative) > 0 {
            counts.append(
                "\(count(.notInformative)) not informative (tolerance beyond "
                    + "\(Int(TraceReplay.informativeFraction * 100))% of the value)")
        }
        if count(.afterNearTie) > 0 { counts.append("\(count(.afterNearTie)) diverged after a near-tie") }
        var lines = [
            "\(name): \(checks.count) tensors (\(local) local), " + counts.joined(separator: ", ")
                + (passed ? "" : "; FAILED")
        ]
        for phase in phases {
            let group = checks.filter { $0.phase == phase }.map(\.comparison)
            lines.append(
                "  " + pad(phase, 9) + pad("\(group.count) tensors", 13)
                    + "worst abs \(format(group.map(\.maxAbsoluteError).max() ?? 0)), "
                    + "worst rel \(format(group.map(\.maxRelativeError).max() ?? 0))")
        }
        for tie in nearTies.prefix(5) { lines.append("  near-tie: \(tie)") }
        if nearTies.count > 5 { lines.append("  ... \(nearTies.count - 5) more near-ties") }
        if let first = firstDivergence {
            lines.append("  first divergence (\(first.phase), \(first.scope.rawValue)): \(first.comparison)")
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func format(_ value: Float) -> String { String(format: "%.2e", Double(value)) }
}

extension TraceReplay {
    /// A trace's checks as a ``ReplayResult`` (for `workbench regress`): passed and failed checks as comparisons;
    /// not-informative checks and divergences after a near-tie counted apart, with the near-ties.
    public static func result(_ report: TraceReport) -> ReplayResult {
        var result = ReplayResult()
        for (check, verdict) in zip(report.checks, report.verdicts) {
            switch verdict {
            case .passed, .failed: result.append(check.comparison)
            case .notInformative: result.noteNotInformative(check.comparison.name)
            case .afterNearTie: result.noteAfterNearTie(check.comparison.name)
            }
        }
        for tie in report.nearTies { result.noteNearTie(tie.description) }
        return result
    }
}
