import Checkpoints
import Foundation
import Testing
import Training

/// `workbench train` interrupted with SIGINT (Ctrl-C), and a read-only run folder, as processes: the run stops at a
/// safe point with status 130 and a message naming the last good checkpoint, nothing is half-written, and `--resume`
/// continues; a failed write names the file and leaves the previous one.
@Suite("Training processes: SIGINT and a read-only folder", .serialized)
struct TrainingInterruptTests {
    typealias Process = TrainingProcessTests

    /// A short run of 2 classes (3 training and 2 validation images each) into `out`.
    static func arguments(out: String, epochs: Int) throws -> [String] {
        let data = try TrainingFixtures.trainAndVal(classes: 2, train: 3, validation: 2)
        return Process.arguments(data: data, weights: try TrainingFixtures.weights(), out: out, epochs: epochs)
    }

    static func partialFiles(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".partial-") }
    }

    @Test("SIGINT while training stops at the next batch with status 130, naming the last good checkpoint")
    func sigintStopsAtASafePoint() throws {
        let out = try TrainingFixtures.temporaryFolder("sigint") + "/run"
        let child = try Process.train(
            try Self.arguments(out: out, epochs: 40))
        #expect(child.waitFor("epoch 2:"), Comment(rawValue: child.output))
        kill(child.process.processIdentifier, SIGINT)
        #expect(child.finish() == 130, Comment(rawValue: child.output))
        let run = RunDirectory(path: out)
        let state = try TrainingState.load(path: run.lastCheckpointPath)
        #expect(state.epoch >= 2 && state.epoch < 40)
        #expect(
            child.output.contains(
                "; nothing of it was saved; the last good checkpoint is \(run.lastCheckpointPath) (epoch "
                    + "\(state.epoch)); continue with --resume \(out)"), Comment(rawValue: child.output))
        #expect(child.output.contains("interrupted "))
        let manifest = try run.readManifest()
        #expect(manifest.status == .running && manifest.epochs.count == state.epoch)
        #expect(try Self.partialFiles(out).isEmpty)
        _ = try run.loadModel()
        let resumed = try Process.train(["--resume", out, "--epochs", "\(state.epoch + 1)"])
        #expect(resumed.finish() == 0, Comment(rawValue: resumed.output))
        #expect(try run.readManifest().epochs.map(\.epoch) == Array(1...(state.epoch + 1)))
    }

    @Test("a second SIGINT in the middle of a save exits at once with 130; the previous checkpoint is intact")
    func secondSigintDuringASave() throws {
        let out = try TrainingFixtures.temporaryFolder("sigint-twice") + "/run"
        let child = try Process.train(
            try Self.arguments(out: out, epochs: 3),
            environment: ["WORKBENCH_TEST_PAUSE_IN_SAVE": "last.safetensors:2"])
        #expect(child.waitFor("paused in save: \(out)/last.safetensors"), Comment(rawValue: child.output))
        let run = RunDirectory(path: out)
        let manifestBefore = FileManager.default.contents(atPath: run.manifestPath)
        kill(child.process.processIdentifier, SIGINT)
        #expect(child.waitFor("stopping at the next safe point"), Comment(rawValue: child.output))
        kill(child.process.processIdentifier, SIGINT)
        #expect(child.finish() == 130, Comment(rawValue: child.output))
        #expect(
            child.output.contains(
                "interrupted again: stopping now; the last good checkpoint is \(run.lastCheckpointPath) (epoch 1)"),
            Comment(rawValue: child.output))
        #expect(try TrainingState.load(path: run.lastCheckpointPath).epoch == 1)
        #expect(FileManager.default.contents(atPath: run.manifestPath) == manifestBefore)
        #expect(try run.readManifest().epochs.count == 1)
        let resumed = try Process.train(["--resume", out])
        #expect(resumed.finish() == 0, Comment(rawValue: resumed.output))
        #expect(try run.readManifest().status == .completed)
        #expect(try Self.partialFiles(out).isEmpty)
    }

    @Test("a read-only run folder during a save: the message names the file, and the previous files are intact")
    func readOnlyFolder() throws {
        let out = try TrainingFixtures.temporaryFolder("read-only") + "/run"
        let first = try Process.train(
            try Self.arguments(out: out, epochs: 1))
        #expect(first.finish() == 0, Comment(rawValue: first.output))
        let run = RunDirectory(path: out)
        let before = try [run.bestCheckpointPath, run.lastCheckpointPath, run.manifestPath].map {
            try Data(contentsOf: URL(fileURLWithPath: $0))
        }
        // As root (the tests may run so) chmod does not stop writes: the write fails as open(2) fails in a
        // read-only folder, with EROFS, through the injection hook in AtomicFile.
        for name in ["last.safetensors", "run.json"] {
            let child = try Process.train(
                ["--resume", out, "--epochs", "2"], environment: ["WORKBENCH_TEST_FAIL_WRITE": "\(name):1:EROFS"])
            #expect(child.finish() == 1, Comment(rawValue: child.output))
            #expect(
                child.output.contains(
                    "Error: \(out)/\(name): cannot write: Read-only file system; the previous \(name) is intact; "
                        + "once the folder can be written, continue with --resume \(out)"),
                Comment(rawValue: child.output))
            if name == "last.safetensors" {
                #expect(try Data(contentsOf: URL(fileURLWithPath: run.lastCheckpointPath)) == before[1])
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: run.manifestPath)) == before[2])
            // run.json is written last: when only it fails, last.safetensors already holds epoch 2.
            #expect(try TrainingState.load(path: run.lastCheckpointPath).epoch == (name == "run.json" ? 2 : 1))
            #expect(try Self.partialFiles(out).isEmpty)
        }
        // The run.json of epoch 2 was never written: resuming writes it, with the status the run ended with.
        let resumed = try Process.train(["--resume", out, "--epochs", "2"])
        #expect(resumed.finish() == 0, Comment(rawValue: resumed.output))
        #expect(try TrainingState.load(path: run.lastCheckpointPath).epoch == 2)
        let manifest = try run.readManifest()
        #expect(manifest.status == .completed && manifest.epochs.map(\.epoch) == [1, 2])
    }
}
