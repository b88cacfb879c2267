import ArgumentParser
import Kernels
import Workbench

/// `workbench bench`: speed measurements to run beside the PyTorch scripts under Fixtures/.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks to run beside the committed PyTorch timing scripts (report ratios, not times).",
        subcommands: [Model.self, Conv.self, Data.self],
        defaultSubcommand: Model.self)

    /// `workbench bench conv`, the peer of `Fixtures/bench_conv_torch.py`.
    struct Conv: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "conv2d forward and forward+backward on ResNet-18 layer1 and layer4 shapes.")

        @Option(help: "Batch size.") var batch = 8
        @Option(name: [.customShort("n"), .long], help: "Timed runs per measurement (median).") var repeats = 10
        @Option(help: "Untimed runs first.") var warmup = 3

        func run() {
            print("swift engine, \(BLASThreading.threads) threads (single-threaded OpenBLAS blocks), median of \(repeats) after \(warmup) warm-up")
            for shape in ConvBenchmark.shapes {
                print(ConvBenchmark.run(shape, batch: batch, warmup: warmup, repeats: repeats))
            }
        }
    }

    /// `workbench bench model`, the peer of `Fixtures/bench_model_torch.py`.
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "resnet18 inference, full step, frozen-backbone step and layer4+fc step at 8x224 and 32x64.",
            discussion: "Prints the median ms, images/s and achieved GFLOPS (the convolution and matrix-product "
                + "operations of one more run, forward and the gradients actually computed, counted as PyTorch's "
                + "FlopCounterMode counts them).")

        @Option(name: [.customShort("n"), .long], help: "Timed runs per measurement (median).") var repeats = 5
        @Option(help: "Untimed runs first.") var warmup = 2
        @Option(help: "Shapes as BATCHxSIZE, comma-separated.") var shapes = "8x224,32x64"
        @Option(help: "Cases, comma-separated (inference, full, frozen, layer4); all by default.") var cases: String?

        func run() throws {
            print("swift engine, \(BLASThreading.threads) threads (single-threaded OpenBLAS blocks), median of \(repeats) after \(warmup) warm-up")
            let selected = try ModelBenchmark.Case.allCases.filter { c in
                guard let cases else { return true }
                let names = cases.split(separator: ",").map(String.init)
                for name in names where !["inference", "full", "frozen", "layer4"].contains(name) {
                    throw ValidationError("unknown case '\(name)': use inference, full, frozen or layer4")
                }
                return names.contains { c.rawValue.hasPrefix($0) }
            }
            let baseline = ProcessMemory.residentMegabytes
            for shape in shapes.split(separator: ",") {
                let parts = shape.split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2 else { throw ValidationError("shape '\(shape)' is not BATCHxSIZE") }
                for benchmarkCase in selected {
                    print(ModelBenchmark.run(benchmarkCase, batch: parts[0], size: parts[1], warmup: warmup,
                                             repeats: repeats))
                }
            }
            let peak = ProcessMemory.peakMegabytes
            print("peak RSS: \(Int(peak)) MB (\(Int(peak - baseline)) MB above the \(Int(baseline)) MB resident "
                  + "before the first case)")
        }
    }

    /// `workbench bench data`, the peer of `Fixtures/bench_dataloader_torch.py`.
    struct Data: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "ImageFolder + DataLoader throughput: decode PNGs, resize 256, crop 224, normalize.")

        @Argument(help: "An ImageFolder root.") var folder = "Fixtures/testdata/transforms/folder"
        @Option(help: "Parallel decode-and-transform workers.") var workers = 2
        @Option(help: "Batch size.") var batch = 8
        @Option(help: "Timed epochs after one warm-up epoch (median).") var epochs = 5

        func run() throws {
            let m = try DataLoaderBenchmark.imagesPerSecond(root: folder, workers: workers, batchSize: batch,
                                                            epochs: epochs)
            print("swift ImageFolder + DataLoader: \(m)")
        }
    }
}
