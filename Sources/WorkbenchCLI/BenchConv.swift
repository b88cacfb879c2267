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

    func validate() throws {
        try require(batch, atLeast: 1, flag: "--batch")
        try require(repeats, atLeast: 1, flag: "--repeats")
        try require(warmup, atLeast: 0, flag: "--warmup")
    }

    func run() {
        print(
            "swift engine, \(BLASThreading.threads) threads, GEMMs: \(KernelBackend.selected.summary), single-threaded "
                + "blocks on the engine's pool, element-wise C (\(KernelBackend.elementwiseISA)), median of \(repeats) "
                + "after \(warmup) warm-up")
        for shape in ConvBenchmark.shapes {
            print(ConvBenchmark.run(shape, batch: batch, warmup: warmup, repeats: repeats))
        }
    }
}
