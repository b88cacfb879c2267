import ArgumentParser
import Foundation
import NN
import Training

/// `workbench transfer`: the main job - the post's transfer-learning experiment on the embedded model and data.
struct Transfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transfer learning on the embedded data: scratch vs feature extraction vs fine-tuning.",
        discussion: """
            Loads the embedded pretrained resnet18 (Fixtures/models), replaces its fc for the target digits, trains \
            each setting with cross-entropy and SGD with momentum on a few labelled images per class \
            (Fixtures/data/target/train), and reports validation accuracy, precision and recall beside PyTorch's \
            numbers for the same experiment (Fixtures/data/premise_pytorch.json).
            """)

    @OptionGroup var root: RootOption
    @Option(parsing: .upToNextOption, help: "Settings to run (space-separated).")
    var settings: [TransferSetting] = TransferSetting.allCases
    @Option(help: "Seeds per setting.") var seeds = 5
    @Option(help: "Epochs (the PyTorch table uses 15).") var epochs = TransferExperiment.Budget.small.epochs

    func validate() throws {
        try require(seeds, atLeast: 1, flag: "--seeds")
        try require(epochs, atLeast: 1, flag: "--epochs")
    }

    func run() throws {
        let fixtures = try EmbeddedFixtures(root: try root.resolved().path)
        var budget = TransferExperiment.Budget.small
        budget.epochs = epochs
        let experiment = TransferExperiment(fixtures: fixtures, budget: budget)
        print(
            "resnet18 (width \(fixtures.baseChannels)) pretrained on digits 0-4, adapted to digits 5-9: "
                + "\(budget.epochs) epochs, batch \(budget.batchSize), SGD lr \(budget.lr) "
                + "momentum \(budget.momentum), "
                + "\(seeds) seeds")
        let start = Date()
        let runs = try experiment.run(settings: settings, seeds: (0..<UInt64(seeds)).map { $0 }) { run in
            print(
                "  \(run.setting.rawValue) seed \(run.seed): val accuracy "
                    + "\(String(format: "%.3f", run.metrics.accuracy)), "
                    + "final train loss \(String(format: "%.3f", run.finalLoss))"
            )
        }
        print("")
        print(TransferReport(runs: runs, premisePath: fixtures.premisePath).table())
        print(String(format: "%.1f s", Date().timeIntervalSince(start)))
    }
}
