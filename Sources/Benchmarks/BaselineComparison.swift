import Foundation
import Golden
import Tensors

/// A run compared with a baseline: per case the calibrated timing's verdict (``NoiseRule``), the deterministic
/// figures flagged exactly, and per op and module the same verdicts, so that a slowdown names what slowed. Cases
/// present on one side only are listed and the rest still compared; another machine kind is refused
/// (``BaselineError/otherMachine(path:differences:)``) unless explicitly allowed.
public struct BaselineComparison: Sendable {
    /// One case of both runs.
    public struct CaseResult: Sendable {
        public let name: String
        /// Raw milliseconds of each run.
        public let baselineMilliseconds: SampleSummary
        public let currentMilliseconds: SampleSummary
        /// The calibrated verdict.
        public let timing: TimingChange
        /// FLOPs, allocations, bytes allocated, peak live bytes.
        public let exact: [ExactChange]
        /// Per (phase, op) summed over modules, largest change first.
        public let ops: [PartResult]
        /// Per module entry, largest change first.
        public let modules: [PartResult]
        /// Module entries on one side only.
        public let modulesOnlyInBaseline: [String]
        public let modulesOnlyInCurrent: [String]
    }

    /// A module entry, or an op summed over modules, of one case.
    public struct PartResult: Sendable {
        /// `layer3.1.conv2 backward ConvolutionBackward`, or `backward ConvolutionBackward (20 modules)`.
        public let name: String
        public let baselineMilliseconds: Double
        public let currentMilliseconds: Double
        public let timing: TimingChange
        /// The calibrated change in ms at this run's machine speed (what ranks the parts).
        public let deltaMilliseconds: Double
    }

    public let path: String
    public let baseline: BaselineRecord
    public let current: BaselineRecord
    public let rule: NoiseRule
    /// Machine-kind differences (only when comparing across machines was allowed).
    public let machineDifferences: [String]
    public let casesOnlyInBaseline: [String]
    public let casesOnlyInCurrent: [String]
    /// Settings that differ (repeats, warm-up): compared anyway, said so.
    public let settingsNotes: [String]
    public let cases: [CaseResult]
    /// Peak RSS of the whole run with its band; nil when the runs measured different cases (it is one figure for
    /// all of them).
    public let peakResident: BandedChange?

    /// The band for peak RSS: allocator reuse moved it by +3.0% and -9.3% between same-code runs here.
    public static let peakResidentBand = 0.15

    /// Throws ``BaselineError/otherMachine(path:differences:)`` when `baseline` (read from `path`) was recorded on
    /// another machine kind than `machine`.
    public static func checkMachine(_ baseline: BaselineRecord, path: String, machine: RunProvenance.Machine) throws {
        let differences = machine.differences(from: baseline.provenance.machine, here: "here", there: "in the baseline")
        if !differences.isEmpty { throw BaselineError.otherMachine(path: path, differences: differences) }
    }

    /// Compares `current` with `baseline` (read from `path`).
    public init(
        baseline: BaselineRecord, current: BaselineRecord, path: String, rule: NoiseRule = .standard,
        allowOtherMachine: Bool = false
    ) throws {
        machineDifferences = current.provenance.machine.differences(
            from: baseline.provenance.machine, here: "here", there: "in the baseline")
        if !machineDifferences.isEmpty && !allowOtherMachine {
            throw BaselineError.otherMachine(path: path, differences: machineDifferences)
        }
        self.path = path
        self.baseline = baseline
        self.current = current
        self.rule = rule
        let baselineNames = Set(baseline.cases.map(\.name))
        let currentNames = Set(current.cases.map(\.name))
        casesOnlyInBaseline = baseline.cases.map(\.name).filter { !currentNames.contains($0) }
        casesOnlyInCurrent = current.cases.map(\.name).filter { !baselineNames.contains($0) }
        var notes: [String] = []
        if baseline.settings.repeats != current.settings.repeats {
            notes.append("repeats: \(baseline.settings.repeats) in the baseline, \(current.settings.repeats) now")
        }
        if baseline.settings.warmup != current.settings.warmup {
            notes.append("warm-up runs: \(baseline.settings.warmup) in the baseline, \(current.settings.warmup) now")
        }
        settingsNotes = notes
        let baselineUnit = baseline.calibration.unitMilliseconds
        let currentUnit = current.calibration.unitMilliseconds
        cases = current.cases.compactMap { now in
            baseline.cases.first { $0.name == now.name }.map { then in
                BaselineComparison.compare(
                    then, now, baselineUnit: baselineUnit, currentUnit: currentUnit, rule: rule,
                    calibrationSpread: baseline.calibration.unitSpread + current.calibration.unitSpread)
            }
        }
        peakResident =
            casesOnlyInBaseline.isEmpty && casesOnlyInCurrent.isEmpty
            ? BandedChange(
                name: "peak RSS (whole run)", baseline: baseline.peakResidentMegabytes,
                current: current.peakResidentMegabytes, band: BaselineComparison.peakResidentBand, unit: "MB")
            : nil
    }

    /// Whether anything got worse or changed: a case slower beyond noise, a deterministic figure changed, or peak
    /// RSS beyond its band (what `--fail-on-regression` exits 1 on).
    public var hasRegression: Bool {
        peakResident?.changed == true
            || cases.contains { $0.timing.verdict == .slower || $0.exact.contains(where: \.changed) }
    }

    private static func compare(
        _ then: BaselineRecord.CaseRecord, _ now: BaselineRecord.CaseRecord, baselineUnit: Double,
        currentUnit: Double, rule: NoiseRule, calibrationSpread: Double
    ) -> CaseResult {
        func calibrated(_ samples: [Double], _ unit: Double) -> SampleSummary {
            SampleSummary(samples.map { $0 / unit })
        }
        func part(_ name: String, _ before: [Double], _ after: [Double]) -> PartResult {
            let timing = rule.compare(
                baseline: calibrated(before, baselineUnit), current: calibrated(after, currentUnit))
            return PartResult(
                name: name, baselineMilliseconds: SampleSummary(before).median,
                currentMilliseconds: SampleSummary(after).median, timing: timing,
                deltaMilliseconds: (timing.current - timing.baseline) * currentUnit)
        }
        let exact = [
            ExactChange(name: "FLOPs per run", baseline: then.flops, current: now.flops),
            ExactChange(name: "float allocations per run", baseline: then.allocations, current: now.allocations),
            ExactChange(name: "bytes allocated per run", baseline: then.allocatedBytes, current: now.allocatedBytes),
            ExactChange(name: "peak live bytes per run", baseline: then.peakLiveBytes, current: now.peakLiveBytes),
        ]
        let before = Dictionary(then.modules.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(now.modules.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let shared = now.modules.filter { before[$0.key] != nil }
        let modules = shared.map { part($0.key, before[$0.key]!.milliseconds, $0.milliseconds) }
        // Ops: per round, the sum over every module entry of the same phase and op.
        var groups: [String: (count: Int, before: [Double], after: [Double])] = [:]
        var order: [String] = []
        for entry in shared {
            let group = "\(entry.phase.rawValue) \(entry.op)"
            if groups[group] == nil { order.append(group) }
            var sums = groups[group] ?? (0, [], [])
            sums.count += 1
            sums.before = add(sums.before, before[entry.key]!.milliseconds)
            sums.after = add(sums.after, entry.milliseconds)
            groups[group] = sums
        }
        let ops = order.map { group in
            let sums = groups[group]!
            return part("\(group) (\(sums.count) module\(sums.count == 1 ? "" : "s"))", sums.before, sums.after)
        }
        let byChange = { (a: PartResult, b: PartResult) in abs(a.deltaMilliseconds) > abs(b.deltaMilliseconds) }
        return CaseResult(
            name: now.name, baselineMilliseconds: SampleSummary(then.milliseconds),
            currentMilliseconds: SampleSummary(now.milliseconds),
            timing: rule.compare(
                baseline: calibrated(then.milliseconds, baselineUnit),
                current: calibrated(now.milliseconds, currentUnit), calibration: calibrationSpread),
            exact: exact, ops: ops.sorted(by: byChange), modules: modules.sorted(by: byChange),
            modulesOnlyInBaseline: then.modules.map(\.key).filter { after[$0] == nil },
            modulesOnlyInCurrent: now.modules.map(\.key).filter { before[$0] == nil })
    }

    /// Element-wise sum, as long as the shorter of the two (an empty accumulator takes `b`).
    private static func add(_ a: [Double], _ b: [Double]) -> [Double] {
        a.isEmpty ? b : zip(a, b).map { $0 + $1 }
    }
}
