import Checkpoints
import Foundation
import NN
import Testing
import Training

@Suite("Run folders: run.json, checkpoints, atomic writes")
struct RunDirectoryTests {
    static func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "run-directory-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    static let manifest = RunManifest(
        model: .init(architecture: "resnet18", baseChannels: 4, weights: "embedded"),
        classes: ["cat", "dog", "<b>fish</b>"], preprocessing: .imageNet.resized(to: 32),
        options: TrainingOptions(
            data: "photos", strategy: "fine-tune", epochs: 2, batchSize: 8, lr: 0.01, backboneLR: 0.001,
            momentum: 0.9, weightDecay: 1e-4, optimizer: "sgd", schedule: "step", augment: true, seed: 7),
        epochs: [
            .init(
                epoch: 1, trainLoss: 1.2, trainAccuracy: 0.4, validationLoss: 1.1, validationAccuracy: 0.5,
                learningRates: [0.001, 0.01], seconds: 3.5, imagesPerSecond: 40)
        ], best: 1)

    @Test("run.json round-trips, and the model loads from best.safetensors strictly, in eval mode")
    func roundTrip() throws {
        let run = RunDirectory(path: try Self.temporaryFolder())
        try run.writeManifest(Self.manifest)
        #expect(try run.readManifest() == Self.manifest)
        #expect(Self.manifest.preprocessing.resize == 37)  // 32 * 256 / 224 = 36.6, rounded
        let trained = try Self.manifest.makeModel(manifestPath: run.manifestPath)
        try trained.saveCheckpoint(path: run.bestCheckpointPath)
        let (model, _) = try run.loadModel()
        #expect(!model.training)
        #expect(model.fc.weight.toArray() == trained.fc.weight.toArray())
    }

    @Test("a folder without run.json, another version, a missing field, a wrong architecture: named errors")
    func badRunFolders() throws {
        let run = RunDirectory(path: try Self.temporaryFolder())
        #expect(throws: RunError.notARunDirectory(path: run.path)) { try run.readManifest() }
        var json = try JSONSerialization.jsonObject(with: try Self.manifest.encoded()) as! [String: Any]
        json["version"] = 2
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: run.manifestPath))
        #expect(throws: RunError.unsupportedVersion(path: run.manifestPath, found: 2, supported: 1)) {
            try run.readManifest()
        }
        json["version"] = 1
        json["classes"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: run.manifestPath))
        #expect(throws: RunError.malformedManifest(path: run.manifestPath, reason: "at \"classes\": missing")) {
            try run.readManifest()
        }
        try Data("{\"format\": \"workbench-run\", \"vers".utf8).write(to: URL(fileURLWithPath: run.manifestPath))
        #expect { try run.readManifest() } throws: { "\($0)".contains("not valid JSON") }
        var other = Self.manifest
        other.model.architecture = "vgg16"
        try run.writeManifest(other)
        #expect { try run.loadModel() } throws: { "\($0)".contains("\"vgg16\" is not one of resnet18") }
        try run.writeManifest(Self.manifest)
        #expect(throws: RunError.missingFile(path: run.bestCheckpointPath, what: "the run has no finished epoch yet")) {
            try run.loadModel()
        }
    }

    @Test("a failed atomic write names the file and leaves the previous file intact, with no temporary left over")
    func atomicWriteFailureKeepsThePreviousFile() throws {
        let folder = try Self.temporaryFolder()
        let path = folder + "/run.json"
        try AtomicFile.write("first", to: path)
        try AtomicFile.write("second", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
        #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write("x", to: folder + "/missing/run.json") }
        // A read-only folder refuses the temporary file (unless running as root, which ignores permissions).
        chmod(folder, 0o555)
        defer { chmod(folder, 0o755) }
        if getuid() != 0 {
            #expect { try AtomicFile.write("third", to: path) } throws: { "\($0)".hasPrefix(path + ": cannot write") }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["run.json"])
    }
}
