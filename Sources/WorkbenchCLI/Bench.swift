import ArgumentParser
import Kernels
import Workbench

/// `workbench bench`: speed measurements to run beside the PyTorch scripts under Fixtures/.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks to run beside the committed PyTorch timing scripts (report ratios, not times).",
        subcommands: [Conv.self])

    /// `workbench bench conv`, the peer of `Fixtures/bench_conv_torch.py`.
    struct Conv: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "conv2d forward and forward+backward on ResNet-18 layer1 and layer4 shapes.")

        @Option(help: "Batch size.") var batch = 8
        @Option(name: [.customShort("n"), .long], help: "Timed runs per measurement (median).") var repeats = 10
        @Option(help: "Untimed runs first.") var warmup = 3

        func run() {
            print("swift engine, OpenBLAS \(blasThreadCount) threads, median of \(repeats) after \(warmup) warm-up")
            for shape in ConvBenchmark.shapes {
                print(ConvBenchmark.run(shape, batch: batch, warmup: warmup, repeats: repeats))
            }
        }
    }
}
