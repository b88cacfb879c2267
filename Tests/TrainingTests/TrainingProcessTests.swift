import Checkpoints
import Foundation
import Golden
import Images
import Testing
import Training

/// `workbench train` as a process that is killed or runs out of file space: whatever happens, the files of the last
/// finished epoch stay loadable and `--resume` continues from them.
@Suite("Training processes: SIGKILL and a full disk", .serialized)
struct TrainingProcessTests {
    /// The `workbench` executable built beside this test bundle.
    static let executable: String = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("workbench")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            folder.deleteLastPathComponent()
        }
        return PackagePaths.file(".build/release/workbench")
    }()

    /// A started `workbench` whose standard output and error go to files.
    struct Child {
        let process: Process
        let log: String

        /// What the child has written so far. Read with `ImageFile.readBytes` (open/fstat/read), not
        /// `String(contentsOfFile:)`: Foundation's reader leaked a 4096-byte buffer on some reads of this
        /// log while the child was appending to it (LeakSanitizer, `swift test --sanitize=address`: 104 leaks).
        var output: String { (try? ImageFile.readBytes(path: log)).map { String(decoding: $0, as: UTF8.self) } ?? "" }

        /// Waits up to `seconds` for `text` to appear in the output.
        func waitFor(_ text: String, seconds: Double = 120) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if output.contains(text) { return true }
                if !process.isRunning { return output.contains(text) }
                Thread.sleep(forTimeInterval: 0.005)
            }
            return false
        }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        /// Waits for the exit; the status.
        func finish() -> Int32 {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Starts `command` with `arguments` (the executable's path first), extra environment `environment`.
    static func launch(_ command: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Child {
        let log = try TrainingFixtures.temporaryFolder("log") + "/output.txt"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return Child(process: process, log: log)
    }

    static func train(_ arguments: [String], environment: [String: String] = [:]) throws -> Child {
        try launch(executable, ["train"] + arguments, environment: environment)
    }

    /// The arguments of a short run on `data` into `out`.
    static func arguments(data: String, weights: String, out: String, epochs: Int) -> [String] {
        [
            "--data", data, "--weights", weights, "--image-size", "32", "--epochs", "\(epochs)", "--batch-size", "4",
            "--strategy", "last:3", "--backbone-lr", "0.002", "--optimizer", "adamw", "--schedule", "cosine",
            "--seed", "5", "--out", out,
        ]
    }

    @Test(
        "SIGKILL in the middle of a save leaves the previous checkpoint; resuming ends bit for bit as an unbroken run")
    func killDuringSave() throws {
        let data = try TrainingFixtures.trainAndVal()
        let weights = try TrainingFixtures.weights()
        let folder = try TrainingFixtures.temporaryFolder("kill")
        let (whole, broken) = (folder + "/whole", folder + "/broken")
        let reference = try Self.train(Self.arguments(data: data, weights: weights, out: whole, epochs: 3))
        #expect(reference.finish() == 0, Comment(rawValue: reference.output))

        // The second save of last.safetensors (after epoch 2) pauses with half its bytes written; kill it there.
        let child = try Self.train(
            Self.arguments(data: data, weights: weights, out: broken, epochs: 3),
            environment: ["WORKBENCH_TEST_PAUSE_IN_SAVE": "last.safetensors:2"])
        #expect(child.waitFor("paused in save: \(broken)/last.safetensors"), Comment(rawValue: child.output))
        child.kill()
        let run = RunDirectory(path: broken)
        let files = try FileManager.default.contentsOfDirectory(atPath: broken)
        #expect(files.contains { $0.hasPrefix("last.safetensors.partial-") })  // the save really was cut short
        #expect(try TrainingState.load(path: run.lastCheckpointPath).epoch == 1)
        #expect(try run.readManifest().epochs.count == 1)
        _ = try run.loadModel()

        let resumed = try Self.train(["--resume", broken])
        #expect(resumed.finish() == 0, Comment(rawValue: resumed.output))
        #expect(resumed.output.contains("resuming \(broken) after epoch 1"))
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: broken)).contains { $0.contains(".partial-") })
        let last = try TrainingSessionTests.maxDifference(whole + "/last.safetensors", run.lastCheckpointPath)
        let best = try TrainingSessionTests.maxDifference(whole + "/best.safetensors", run.bestCheckpointPath)
        #expect(last.difference == 0 && best.difference == 0)
        #expect(try run.readManifest().status == .completed)
    }

    @Test("killed at random moments, a run's files always load, and it resumes to the end")
    func killAtRandomMoments() throws {
        let data = try TrainingFixtures.trainAndVal(classes: 2, train: 3, validation: 2)
        let weights = try TrainingFixtures.weights()
        let out = try TrainingFixtures.temporaryFolder("random-kill") + "/run"
        let run = RunDirectory(path: out)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<4 {
            let arguments =
                FileManager.default.fileExists(atPath: run.lastCheckpointPath)
                ? ["--resume", out]
                : Self.arguments(data: data, weights: weights, out: out, epochs: 40) + ["--overwrite"]
            // Killed a little after a random epoch of the next five ends, so the run is cut wherever it is then
            // (training, saving, writing run.json) however fast the machine, and never runs to its end first.
            let done =
                FileManager.default.fileExists(atPath: run.lastCheckpointPath)
                ? try TrainingState.load(path: run.lastCheckpointPath).epoch : 0
            let child = try Self.train(arguments)
            _ = child.waitFor("epoch \(done + Int.random(in: 1...5, using: &generator)):")
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.02, using: &generator))
            child.kill()
            if run.exists { #expect(try run.readManifest().status == .running, "the run ended before it was killed") }
            if FileManager.default.fileExists(atPath: run.lastCheckpointPath) {
                let state = try TrainingState.load(path: run.lastCheckpointPath)
                #expect(state.epoch == state.history.count)
                _ = try run.loadModel()
            }
        }
        let finish = try Self.train(["--resume", out])
        #expect(finish.finish() == 0, Comment(rawValue: finish.output))
        #expect(try run.readManifest().epochs.map(\.epoch) == Array(1...40))
    }

    @Test("a disk that fills during a save: the message names the file, and the previous files are intact")
    func fullDisk() throws {
        let data = try TrainingFixtures.trainAndVal()
        let weights = try TrainingFixtures.weights()
        let out = try TrainingFixtures.temporaryFolder("full") + "/run"
        let first = try Self.train(Self.arguments(data: data, weights: weights, out: out, epochs: 1))
        #expect(first.finish() == 0, Comment(rawValue: first.output))
        let run = RunDirectory(path: out)
        let size = { (path: String) in (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let (bestSize, lastSize) = (size(run.bestCheckpointPath), size(run.lastCheckpointPath))
        let lastBefore = FileManager.default.contents(atPath: run.lastCheckpointPath)
        let manifestBefore = FileManager.default.contents(atPath: run.manifestPath)
        // The file size limit (RLIMIT_FSIZE, in KiB) lets best.safetensors be written but not last.safetensors:
        // the write fails with EFBIG as it would with ENOSPC on a full disk. SIGXFSZ is ignored so the write
        // returns the error instead of killing the process.
        let limit = (bestSize + lastSize) / 2 / 1024
        let command = "trap '' XFSZ; ulimit -f \(limit); exec \"$0\" train --resume \"$1\" --epochs 2"
        let child = try Self.launch("/bin/bash", ["-c", command, Self.executable, out])
        #expect(child.finish() == 1, Comment(rawValue: child.output))
        #expect(
            child.output.contains(
                "Error: \(run.lastCheckpointPath): cannot write: File too large; the previous last.safetensors is "
                    + "intact; once there is room, continue with --resume \(out)"), Comment(rawValue: child.output))
        #expect(FileManager.default.contents(atPath: run.lastCheckpointPath) == lastBefore)
        #expect(FileManager.default.contents(atPath: run.manifestPath) == manifestBefore)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: out)).contains { $0.contains(".partial-") })
        let resumed = try Self.train(["--resume", out, "--epochs", "2"])
        #expect(resumed.finish() == 0, Comment(rawValue: resumed.output))
        #expect(try TrainingState.load(path: run.lastCheckpointPath).epoch == 2)
    }
}
