import Checkpoints
import Foundation
import Golden
import NN
import Tensors
import Testing
import Training

@Suite("Models and checkpoint files")
struct ModelCheckpointTests {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(getpid())-\(name)").path
    }

    @Test(
        "a resnet saved as .pth or safetensors loads back into a fresh model unchanged",
        arguments: ["pth", "safetensors"])
    func roundTrip(_ fileExtension: String) throws {
        let path = temporaryPath("roundtrip.\(fileExtension)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = resnet18(numClasses: 3, baseChannels: 4)
        PortableInit.apply(to: source, seed: 11)
        source.bn1.numBatchesTracked = 7
        try source.saveCheckpoint(path: path)
        let summary = try CheckpointSummary(path: path)
        #expect(summary.stateDict["bn1.num_batches_tracked"]?.dtype == .int64)
        #expect(summary.parameterCount == source.parameterCount())
        let copy = resnet18(numClasses: 3, baseChannels: 4)
        let result = try copy.loadCheckpoint(path: path)
        #expect(result.isClean)
        for ((key, a), (_, b)) in zip(source.stateDict(), copy.stateDict()) {
            #expect(a.toArray() == b.toArray(), "\(key) differs after the round trip")
        }
    }

    @Test("a new head is kept only when asked, and the skipped keys are reported")
    func newHead() throws {
        let path = temporaryPath("head.pth")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pretrained = resnet18(numClasses: 10, baseChannels: 4)
        try pretrained.saveCheckpoint(path: path)
        let model = resnet18(numClasses: 2, baseChannels: 4)
        #expect { try model.loadCheckpoint(path: path) } throws: { "\($0)".contains("size mismatch for fc.weight") }
        let head = model.fc.weight.toArray()
        let result = try model.loadCheckpoint(path: path, skipMismatchedShapes: true)
        #expect(result.sizeMismatches.map(\.key) == ["fc.weight", "fc.bias"])
        #expect(model.fc.weight.toArray() == head)
        #expect(model.stateDict().first!.value.toArray() == pretrained.stateDict().first!.value.toArray())
    }

    @Test("batch norms saved without num_batches_tracked (old checkpoints) keep the model's count, as PyTorch does")
    func oldBatchNorm() throws {
        let path = temporaryPath("old.pth")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = resnet18(numClasses: 2, baseChannels: 2)
        var stateDict = model.checkpointStateDict()
        for key in stateDict.keys where key.hasSuffix("num_batches_tracked") { stateDict[key] = nil }
        try Checkpoint.save(stateDict, to: path)
        model.bn1.numBatchesTracked = 5
        #expect(try model.loadCheckpoint(path: path).isClean)
        #expect(model.bn1.numBatchesTracked == 5)
        #expect(try resnet18(numClasses: 2, baseChannels: 2).loadCheckpoint(path: path).isClean)
    }

    @Test("a hostile checkpoint is refused by name and leaves the model untouched")
    func hostile() throws {
        let model = resnet18(numClasses: 2, baseChannels: 2)
        let before = model.stateDict().map { $0.value.toArray() }
        #expect {
            try model.loadCheckpoint(path: PackagePaths.file("Fixtures/checkpoints/evil_os_system.pth"))
        } throws: {
            "\($0)".contains("os.system")
        }
        #expect(model.stateDict().map { $0.value.toArray() } == before)
    }
}
