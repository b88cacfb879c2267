import Benchmarks
import Golden
import Tensors

/// Baseline records made of chosen numbers, so the comparison logic is tested on exact values, never on timings.
enum SyntheticBaselines {
    static let machine = RunProvenance.Machine(
        cpuModel: "Test CPU", cpuFlags: ["avx2", "fma", "avx512f"], cores: 2, blasCore: "Cooperlake",
        openblasCoretype: nil, threads: 2)

    /// Samples spread evenly around `median` by +-`spread` (relative), `count` of them.
    static func samples(_ median: Double, spread: Double = 0.01, count: Int = 9) -> [Double] {
        (0..<count).map { (i: Int) -> Double in
            let position: Double = Double(i) / Double(count - 1) * 2 - 1
            return median * (1 + spread * position)
        }
    }

    /// A module entry with samples around `milliseconds`.
    static func module(
        _ name: String, _ phase: Profiler.Phase, _ op: String, _ milliseconds: Double, spread: Double = 0.02
    ) -> BaselineRecord.ModuleRecord {
        .init(module: name, phase: phase, op: op, calls: 1, milliseconds: samples(milliseconds, spread: spread))
    }

    /// A case whose modules are a conv, a batch norm and their backward nodes.
    static func caseRecord(
        _ name: String = "b8x224 full step", milliseconds: Double = 100, spread: Double = 0.01,
        allocations: Int = 1234, batchNorm: Double = 10, modules: [BaselineRecord.ModuleRecord]? = nil
    ) -> BaselineRecord.CaseRecord {
        .init(
            name: name, batch: 8, size: 224, benchmarkCase: "full step",
            milliseconds: samples(milliseconds, spread: spread), flops: 85_180_000_000, allocations: allocations,
            allocatedBytes: 1 << 30, peakLiveBytes: 1 << 28,
            modules: modules ?? [
                module("layer3.1.conv2", .forward, "Conv2d", 20),
                module("layer3.1.bn2", .forward, "BatchNorm2d", batchNorm),
                module("layer3.1.conv2", .backward, "ConvolutionBackward", 40),
                module("layer3.1.bn2", .backward, "NativeBatchNormBackward", 15),
            ])
    }

    /// A record of `cases` measured with calibration sgemm `gemm` ms and triad `triad` ms.
    static func record(
        _ cases: [BaselineRecord.CaseRecord] = [caseRecord()], gemm: Double = 1.5, triad: Double = 3,
        machine: RunProvenance.Machine = machine, peakResident: Double = 600, repeats: Int = 9
    ) -> BaselineRecord {
        BaselineRecord(
            recorded: "2026-12-02T00:00:00Z", provenance: RunProvenance(engineCommit: "abc1234", machine: machine),
            loadBefore: [0.1, 0.2, 0.3], loadAfter: [1, 1, 1], note: nil,
            settings: .init(warmup: 2, repeats: repeats, shapes: ["8x224"], cases: ["full step"]),
            calibration: .init(
                gemmSize: 512, triadFloats: 8 << 20, repeatsPerSample: 8, gemmMilliseconds: samples(gemm, count: 27),
                triadMilliseconds: samples(triad, count: 27)),
            peakResidentMegabytes: peakResident, cases: cases)
    }
}
