import ArgumentParser
import Benchmarks
import Kernels

/// `workbench bench conv`, the peer of `Fixtures/bench_conv_torch.py`.
struct BenchConv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv", abstract: "conv2d forward and forward+backward on ResNet-18 layer1 and layer4 shapes.")

    @Option(help: "Batch size.") var batch = 8
    @Option(name: [.customShort("n"), .long], help: "Timed runs per measurement (median).") var repeats = 10
    @Option(help: "Untimed runs first.") var warmup = 3
    @Flag(
        help: ArgumentHelp(
            "Instead: every distinct ResNet-18 convolution at --shapes, im2col + GEMM against oneDNN's primitive, "
                + "per direction (a markdown table)"))
    var kernels = false
    @Option(help: "With --kernels: BATCHxSIZE inputs, comma-separated.") var shapes = "8x224,32x64,64x32,1x224"

    func validate() throws {
        try require(batch, atLeast: 1, flag: "--batch")
        try require(repeats, atLeast: 1, flag: "--repeats")
        try require(warmup, atLeast: 0, flag: "--warmup")
    }

    func run() {
        print(
            "swift engine, \(BLASThreading.threads) threads, GEMMs: \(KernelBackend.selected.summary), convolutions: "
                + "\(KernelBackend.selected.convolutionSummary), single-threaded blocks on the engine's pool, "
                + "element-wise C (\(KernelBackend.elementwiseISA)), median of \(repeats) after \(warmup) warm-up")
        if kernels {
            print(ConvKernelComparison.header.joined(separator: "\n"))
            for shape in shapes.split(separator: ",") {
                let parts = shape.split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
                    print("error: --shapes entry '\(shape)' is not BATCHxSIZE (e.g. 8x224)")
                    return
                }
                for row in ConvKernelComparison.rows(batch: parts[0], size: parts[1], warmup: warmup, repeats: repeats)
                {
                    print(row)
                }
            }
            return
        }
        for shape in ConvBenchmark.shapes {
            print(ConvBenchmark.run(shape, batch: batch, warmup: warmup, repeats: repeats))
        }
    }
}
