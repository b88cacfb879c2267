import ArgumentParser

/// `workbench bench`: speed measurements to run beside the PyTorch scripts under Fixtures/.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks to run beside the committed PyTorch timing scripts (report ratios, not times).",
        subcommands: [BenchModel.self, BenchConv.self, BenchData.self],
        defaultSubcommand: BenchModel.self)
}
