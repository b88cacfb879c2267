import ArgumentParser
import Benchmarks
import Foundation
import Golden
import Kernels

/// `workbench bench model`, the peer of `Fixtures/bench_model_torch.py`; with `--save-baseline` / `--baseline`,
/// the interleaved, calibrated measurement that records and compares baselines.
struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "resnet18 inference, full step, frozen-backbone step and layer4+fc step at 8x224 and 32x64.",
        discussion: """
            Prints the median ms, images/s and achieved GFLOPS (the convolution and matrix-product operations of \
            one more run, forward and the gradients actually computed, counted as PyTorch's FlopCounterMode counts \
            them).

            With --save-baseline FILE or --baseline FILE the cases run interleaved (round-robin, each round also \
            timing a fixed sgemm and a memory triad as calibration; every module forward and backward is \
            profiled in as many rounds after the timed ones), and FLOPs, float allocations, bytes and peak live bytes per run are counted. --baseline \
            compares calibrated medians per case, op and module ("slower by X% (beyond noise)", "faster by X% \
            (beyond noise)", "within noise") and flags any change in the deterministic figures. Timing never sets \
            the exit status unless --fail-on-regression is given.
            """)

    @OptionGroup var root: RootOption
    @Option(name: [.customShort("n"), .long], help: "Timed runs per measurement (median); rounds with a baseline.")
    var repeats = 5
    @Option(help: "Untimed runs first.") var warmup = 2
    @Option(parsing: .upToNextOption, help: "Shapes as BATCHxSIZE (SIZE at least 32).")
    var shapes: [BenchShape] = [BenchShape(argument: "8x224")!, BenchShape(argument: "32x64")!]
    // No array default: swift-argument-parser would print a raw-value enum's defaults by their raw values (the
    // report names, "full step"), which the option does not accept.
    @Option(parsing: .upToNextOption, help: "Cases to time (default: inference full frozen layer4).")
    var cases: [ModelBenchmark.Case] = []

    /// The cases given, or every case.
    private var chosenCases: [ModelBenchmark.Case] { cases.isEmpty ? ModelBenchmark.Case.allCases : cases }
    @Option(help: ArgumentHelp("Record this run as a baseline JSON file.", valueName: "FILE"))
    var saveBaseline: String?
    @Option(help: ArgumentHelp("Compare this run with a baseline JSON file.", valueName: "FILE"))
    var baseline: String?
    @Option(help: "With --save-baseline: a note stored in the file (e.g. what else ran).") var note: String?
    @Option(help: "Smallest relative change, in percent, that can count as beyond noise.") var noiseFloor = 3.0
    @Option(help: "Ops and modules beyond noise to list per case.") var top = 5
    @Flag(help: "Exit 1 when a case is slower beyond noise or a deterministic figure changed.")
    var failOnRegression = false
    @Flag(help: "Compare with a baseline from another machine kind anyway (its timings do not really compare).")
    var allowOtherMachine = false
    @Flag(
        help: ArgumentHelp(
            "Time each case against the module-by-module path (no eval fusion, no channels-last stages), alternating "
                + "run by run in this process; print both medians and the median of the pairs' ratios."))
    var againstModuleByModule = false
    @Flag(
        help: ArgumentHelp(
            "Time each case against oneDNN's direct convolution kernels where the engine picks Winograd, alternating "
                + "run by run in this process; print both medians and the median of the pairs' ratios."))
    var againstDirectConvolution = false

    /// The path the cases are timed against, if any.
    private var alternative: ModelBenchmark.Alternative? {
        againstModuleByModule ? .moduleByModule : againstDirectConvolution ? .directConvolution : nil
    }

    func validate() throws {
        try require(repeats, atLeast: 1, flag: "--repeats")
        try require(warmup, atLeast: 0, flag: "--warmup")
        try require(top, atLeast: 0, flag: "--top")
        guard noiseFloor >= 0 else { throw ValidationError("--noise-floor must be at least 0, got \(noiseFloor)") }
        if againstModuleByModule && againstDirectConvolution {
            throw ValidationError("--against-module-by-module and --against-direct-convolution: choose one")
        }
        for (flag, given) in [
            ("--against-module-by-module", againstModuleByModule),
            ("--against-direct-convolution", againstDirectConvolution),
        ] where given && (baseline != nil || saveBaseline != nil) {
            throw ValidationError("\(flag) cannot be combined with --baseline or --save-baseline")
        }
        if baseline == nil && saveBaseline == nil {
            for (flag, given) in [
                ("--fail-on-regression", failOnRegression), ("--allow-other-machine", allowOtherMachine),
                ("--note", note != nil),
            ] where given {
                throw ValidationError("\(flag) needs --baseline FILE or --save-baseline FILE")
            }
        }
    }

    func run() throws {
        print(
            "swift engine, \(BLASThreading.threads) threads, GEMMs: \(KernelBackend.selected.summary), convolutions: "
                + "\(KernelBackend.selected.convolutionSummary), single-threaded blocks on the engine's pool, element-wise C (\(KernelBackend.elementwiseISA)), median of \(repeats) "
                + "after \(warmup) warm-up")
        guard baseline != nil || saveBaseline != nil else {
            runPlain()
            return
        }
        let rootURL = (try? root.resolved()) ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let provenance = RunProvenance.current(root: rootURL)
        // Read and check the baseline before spending minutes measuring.
        let previous = try baseline.map { path in
            let record = try BaselineFile.read(path)
            if !allowOtherMachine {
                try BaselineComparison.checkMachine(record, path: path, machine: provenance.machine)
            }
            return record
        }
        let record = BaselineRecorder.record(
            cases: chosenCases, shapes: shapes.map { .init(batch: $0.batch, size: $0.size) }, warmup: warmup,
            repeats: repeats, provenance: provenance, note: note,
            progress: { FileHandle.standardError.write(Data("bench: \($0)\n".utf8)) })
        print(BaselineRecorder.summary(record))
        if let saveBaseline {
            try BaselineFile.write(record, to: saveBaseline)
            print("baseline written to \(saveBaseline)")
        }
        if let previous, let path = baseline {
            let comparison = try BaselineComparison(
                baseline: previous, current: record, path: path,
                rule: NoiseRule(floor: noiseFloor / 100, spreadFactor: NoiseRule.standard.spreadFactor),
                allowOtherMachine: allowOtherMachine)
            print("")
            print(comparison.rendered(topModules: top))
            if failOnRegression && comparison.hasRegression { throw ExitCode(1) }
        }
    }

    /// Each case after the other, as Fixtures/bench_model_torch.py runs PyTorch's.
    private func runPlain() {
        let baseline = ProcessMemory.residentMegabytes
        for shape in shapes {
            for benchmarkCase in chosenCases {
                print(
                    alternative.map {
                        ModelBenchmark.runAgainst(
                            $0, benchmarkCase, batch: shape.batch, size: shape.size, warmup: warmup, repeats: repeats)
                    }
                        ?? ModelBenchmark.run(
                            benchmarkCase, batch: shape.batch, size: shape.size, warmup: warmup,
                            repeats: repeats))
            }
        }
        let peak = ProcessMemory.peakMegabytes
        print(
            "peak RSS: \(Int(peak)) MB (\(Int(peak - baseline)) MB above the \(Int(baseline)) MB resident "
                + "before the first case)")
    }
}
