import Foundation
import Golden
import Kernels
import NN
import Tensors

/// Measures every case for a baseline, interleaved so that a slow moment of the machine spreads over all cases
/// instead of falling on one (asv's `--interleave-processes`, here within one process):
///
/// 1. `warmup` untimed runs of every case (at least one, so the deterministic figures are a steady state's:
///    the optimizer's momentum buffers exist);
/// 2. one counted run of every case: FLOPs, float allocations, bytes, peak live bytes;
/// 3. `repeats` rounds, each: the calibration (three sgemms, three triads) and one timed run of every case;
/// 4. `repeats` profiled runs of every case (per module forward and backward, see ``ModuleProfiler``), after all
///    the timed ones: a profiled run calls the modules one by one, which drops an eval-mode convolution's folded
///    weights, and a timed run after it would measure the folding again.
///
/// Timed runs are never profiled, so the case times carry no profiling overhead.
public enum BaselineRecorder {
    /// A shape to run, `BATCHxSIZE`.
    public struct Shape: Sendable, Equatable {
        public let batch: Int
        public let size: Int

        public init(batch: Int, size: Int) { (self.batch, self.size) = (batch, size) }

        public var name: String { "\(batch)x\(size)" }
    }

    /// Runs the cases at the shapes (shape-major) and returns the record; `progress` hears one line per phase.
    public static func record(
        cases: [ModelBenchmark.Case], shapes: [Shape], warmup: Int, repeats: Int, provenance: RunProvenance,
        note: String?, progress: (String) -> Void = { _ in }
    ) -> BaselineRecord {
        let started = ISO8601DateFormatter().string(from: Date())
        let loadBefore = loadAverage()
        let workloads = shapes.flatMap { shape in
            cases.map { ModelWorkload($0, batch: shape.batch, size: shape.size) }
        }
        progress("warm-up: \(max(warmup, 1)) run(s) of \(workloads.count) cases")
        for _ in 0..<max(warmup, 1) {
            for workload in workloads { workload.run() }
        }
        var counted: [(flops: Int, allocations: AllocationStatistics.Snapshot)] = []
        for workload in workloads {
            let counter = FLOPCounter()
            let start = AllocationStatistics.snapshot()
            AllocationStatistics.resetPeak()
            counter.count(workload.run)
            counted.append((counter.total, AllocationStatistics.snapshot().since(start)))
        }
        let probe = Calibration.Probe()
        _ = (probe.gemmMilliseconds(), probe.triadMilliseconds())
        var gemm: [Double] = []
        var triad: [Double] = []
        var times = Array(repeating: [Double](), count: workloads.count)
        var profiles = Array(repeating: [Profiler.Key: [Double]](), count: workloads.count)
        var calls = Array(repeating: [Profiler.Key: Int](), count: workloads.count)
        for round in 0..<repeats {
            progress("round \(round + 1) of \(repeats)")
            for _ in 0..<3 {
                gemm.append(rounded(probe.gemmMilliseconds()))
                triad.append(rounded(probe.triadMilliseconds()))
            }
            for (index, workload) in workloads.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                workload.run()
                times[index].append(rounded(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6))
            }
        }
        // The profiled runs come after every timed one: they call the modules one by one, which drops an eval-mode
        // convolution's folded weights (and their Winograd transform, 70 ms at 8x224), so that a timed run after
        // each would have measured the folding again instead of the model's steady state.
        for round in 0..<repeats {
            progress("profiled round \(round + 1) of \(repeats)")
            for (index, workload) in workloads.enumerated() {
                let profiler = ModuleProfiler(root: workload.model)
                workload.runProfiled(profiler)
                for (key, entry) in profiler.profiler.entries {
                    profiles[index][key, default: []].append(rounded(Double(entry.nanoseconds) / 1e6))
                    calls[index][key] = entry.calls
                }
            }
        }
        let records = workloads.enumerated().map { index, workload in
            let order = Dictionary(
                workload.model.namedModules().enumerated().map { ($1.0.isEmpty ? ModuleProfiler.rootScope : $1.0, $0) },
                uniquingKeysWith: { first, _ in first })
            let keys = profiles[index].keys.sorted { a, b in
                let (ia, ib) = (order[a.scope] ?? Int.max, order[b.scope] ?? Int.max)
                return (a.phase, ia, a.scope, a.op) < (b.phase, ib, b.scope, b.op)
            }
            return BaselineRecord.CaseRecord(
                name: workload.name, batch: workload.batch, size: workload.size,
                benchmarkCase: workload.benchmarkCase.rawValue, milliseconds: times[index],
                flops: counted[index].flops, allocations: counted[index].allocations.allocations,
                allocatedBytes: counted[index].allocations.bytes,
                peakLiveBytes: counted[index].allocations.peakLiveBytes,
                systemAllocations: counted[index].allocations.systemAllocations,
                modules: keys.map { key in
                    BaselineRecord.ModuleRecord(
                        module: key.scope, phase: key.phase, op: key.op, calls: calls[index][key] ?? 0,
                        milliseconds: profiles[index][key] ?? [])
                })
        }
        return BaselineRecord(
            recorded: started, provenance: provenance, loadBefore: loadBefore, loadAfter: loadAverage(), note: note,
            settings: .init(
                warmup: warmup, repeats: repeats, shapes: shapes.map(\.name), cases: cases.map(\.rawValue)),
            calibration: .init(
                gemmSize: Calibration.gemmSize, triadFloats: Calibration.triadCount,
                repeatsPerSample: Calibration.repeatsPerSample, gemmMilliseconds: gemm, triadMilliseconds: triad),
            peakResidentMegabytes: rounded(ProcessMemory.peakMegabytes), cases: records)
    }

    /// The run alone, as `bench model` prints it without a baseline, plus each case's spread and deterministic
    /// figures and the calibration.
    public static func summary(_ record: BaselineRecord) -> String {
        let calibration = record.calibration
        let gemm = SampleSummary(calibration.gemmMilliseconds).median
        let triad = SampleSummary(calibration.triadMilliseconds).median
        var lines = [
            "calibration (\(calibration.repeatsPerSample) probes per sample): sgemm \(calibration.gemmSize)^3 "
                + "\(ms(gemm)) ms, triad 3 x \((calibration.triadFloats * 4) >> 20) MB \(ms(triad)) ms "
                + "(medians of \(calibration.gemmMilliseconds.count)); unit spread ±\(percent(calibration.unitSpread))"
        ]
        for entry in record.cases {
            let summary = SampleSummary(entry.milliseconds)
            lines.append(
                ModelBenchmark.line(entry.name, milliseconds: summary.median, batch: entry.batch, flops: entry.flops)
                    + " (±\(percent(summary.relativeHalfSpread)) half-IQR over \(summary.count)); "
                    + "\(entry.allocations) float allocations"
                    + (entry.systemAllocations.map { " (\($0) from the system)" } ?? "")
                    + ", \(entry.allocatedBytes >> 20) MB allocated, "
                    + "peak live \(entry.peakLiveBytes >> 20) MB per run; \(entry.modules.count) module entries")
        }
        lines.append(String(format: "peak RSS: %.0f MB", record.peakResidentMegabytes))
        return lines.joined(separator: "\n")
    }

    /// `/proc/loadavg`'s first three fields (empty where it does not exist).
    static func loadAverage() -> [Double] {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }

    /// Milliseconds to 0.1 microsecond, so the file holds what the clock can tell.
    static func rounded(_ value: Double) -> Double { (value * 1e4).rounded() / 1e4 }
}
