import Golden
import NN
import Tensors
import Testing
import Training
import Vision

/// The embedded pretrained model and data, run through this engine end to end.
@Suite("Embedded model and data")
struct EmbeddedTransferTests {
    static let fixtures: EmbeddedFixtures = {
        do { return try EmbeddedFixtures(root: PackagePaths.root(from: #filePath).path) } catch {
            fatalError("embedded fixtures unreadable: \(error)")
        }
    }()

    @Test("the pretrained checkpoint classifies the source validation digits as PyTorch did (180/180)")
    func sourceAccuracy() throws {
        let fixtures = Self.fixtures
        let model = resnet18(numClasses: fixtures.pretrainedClasses, baseChannels: fixtures.baseChannels)
        try model.loadCheckpoint(path: fixtures.checkpointPath)
        let folder = try ImageFolder(root: PackagePaths.file("Fixtures/data/source/val"))
        let loader = DataLoader(
            folder, batchSize: 64,
            transform: Compose([ToTensor(), Normalize(mean: fixtures.mean, std: fixtures.std)]))
        let metrics = try Trainer.evaluate(model, on: loader, classCount: folder.classes.count)
        #expect(metrics.sampleCount == 180)
        #expect(metrics.accuracy >= 0.99, "source val accuracy \(metrics.accuracy)")
    }

    @Test("the post's premise holds in this engine: pretrained feature extraction and fine-tuning beat scratch")
    func premise() throws {
        let experiment = TransferExperiment(fixtures: Self.fixtures)
        let runs = try experiment.run(settings: [.scratch, .featureExtractionEval, .fineTune], seeds: [0, 1])
        let report = TransferReport(runs: runs, premisePath: Self.fixtures.premisePath)
        #expect(report.premiseHolds, Comment(rawValue: report.table()))
        let scratch = try #require(report.accuracy(.scratch))
        let fineTune = try #require(report.accuracy(.fineTune))
        #expect(fineTune.mean - scratch.mean > 0.3, Comment(rawValue: report.table()))
    }
}
