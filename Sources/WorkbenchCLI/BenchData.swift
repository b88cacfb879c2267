import ArgumentParser
import Benchmarks

/// `workbench bench data`, the peer of `Fixtures/bench_dataloader_torch.py`.
struct BenchData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "ImageFolder + DataLoader throughput: decode PNGs, resize 256, crop 224, normalize.")

    @OptionGroup var root: RootOption
    @Argument(
        help: "An ImageFolder root (default: Fixtures/testdata/transforms/folder under the package root).",
        completion: .directory)
    var folder: String?
    @Option(help: "Parallel decode-and-transform workers.") var workers = 2
    @Option(help: "Batch size.") var batch = 8
    @Option(help: "Timed epochs after one warm-up epoch (median).") var epochs = 5

    func validate() throws {
        try require(workers, atLeast: 1, flag: "--workers")
        try require(batch, atLeast: 1, flag: "--batch")
        try require(epochs, atLeast: 1, flag: "--epochs")
    }

    func run() throws {
        let path = try folder ?? root.path("Fixtures/testdata/transforms/folder")
        let m = try DataLoaderBenchmark.imagesPerSecond(root: path, workers: workers, batchSize: batch, epochs: epochs)
        print("swift ImageFolder + DataLoader: \(m)")
    }
}
