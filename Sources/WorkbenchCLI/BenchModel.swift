import ArgumentParser
import Benchmarks
import Kernels

/// `workbench bench model`, the peer of `Fixtures/bench_model_torch.py`.
struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "resnet18 inference, full step, frozen-backbone step and layer4+fc step at 8x224 and 32x64.",
        discussion: "Prints the median ms, images/s and achieved GFLOPS (the convolution and matrix-product "
            + "operations of one more run, forward and the gradients actually computed, counted as PyTorch's "
            + "FlopCounterMode counts them).")

    @Option(name: [.customShort("n"), .long], help: "Timed runs per measurement (median).") var repeats = 5
    @Option(help: "Untimed runs first.") var warmup = 2
    @Option(parsing: .upToNextOption, help: "Shapes as BATCHxSIZE (SIZE at least 32).")
    var shapes: [BenchShape] = [BenchShape(argument: "8x224")!, BenchShape(argument: "32x64")!]
    @Option(parsing: .upToNextOption, help: "Cases to time.")
    var cases: [ModelBenchmark.Case] = ModelBenchmark.Case.allCases

    func validate() throws {
        try require(repeats, atLeast: 1, flag: "--repeats")
        try require(warmup, atLeast: 0, flag: "--warmup")
    }

    func run() throws {
        print(
            "swift engine, \(BLASThreading.threads) threads (single-threaded OpenBLAS blocks), median of \(repeats) "
                + "after \(warmup) warm-up")
        let baseline = ProcessMemory.residentMegabytes
        for shape in shapes {
            for benchmarkCase in cases {
                print(
                    ModelBenchmark.run(
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
