import Foundation
import Golden
import Testing

/// `workbench train` as a user runs it: the log it prints off a terminal, the progress bar on one, and the flags
/// and folders it refuses before (or instead of) training.
@Suite("workbench train")
struct TrainCommandTests {
    /// `root/train/<class>` and `root/val/<class>` with `train` and `validation` embedded digits of each of
    /// `classes` classes.
    static func data(classes: Int, train: Int, validation: Int) throws -> String {
        let root = NSTemporaryDirectory() + "train-cli-\(UUID().uuidString)"
        let digits = WorkbenchCLITests.fixture("Fixtures/data/target/val")
        for index in 5..<5 + classes {
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(digits)/digit_\(index)").sorted()
            for (split, range) in [("train", 0..<train), ("val", train..<train + validation)] {
                let folder = "\(root)/\(split)/digit_\(index)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for file in files[range] {
                    try FileManager.default.copyItem(
                        atPath: "\(digits)/digit_\(index)/\(file)", toPath: "\(folder)/\(file)")
                }
            }
        }
        return root
    }

    static func runFolder() -> String { NSTemporaryDirectory() + "train-cli-run-\(UUID().uuidString)" }

    @Test("off a terminal: a header, a log line every tenth of a long epoch, one line per epoch, the best")
    func logLines() throws {
        let data = try Self.data(classes: 4, train: 10, validation: 2)
        let out = Self.runFolder()
        let run = try WorkbenchCLITests.workbench(
            "train", "--data", data, "--weights", "embedded", "--epochs", "2", "--batch-size", "2",
            "--strategy", "last:2", "--backbone-lr", "0.001", "--out", out)
        #expect(run.status == 0, Comment(rawValue: run.stdout + run.stderr))
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "data: \(data): 40 training, 8 validation images")
        #expect(lines.contains("classes (4): digit_5, digit_6, digit_7, digit_8"))
        #expect(
            lines.contains { $0.hasPrefix("model: resnet18 (width 12) from embedded, new fc for 4 classes; last:2: ") })
        let batchLines = lines.filter { $0.hasPrefix("epoch 1/2 batch ") }
        #expect(
            batchLines.map { $0.split(separator: " ")[3] } == [
                "2/20", "4/20", "6/20", "8/20", "10/20", "12/20", "14/20", "16/20", "18/20",
            ])
        #expect(batchLines.allSatisfy { $0.contains(" img/s  data wait ") && $0.contains("ETA 0:") })
        let epochLines = lines.filter { $0.hasPrefix("epoch 1: train loss") || $0.hasPrefix("epoch 2: train loss") }
        #expect(epochLines.count == 2 && epochLines[0].contains("lr 0.001/0.01"))
        #expect(lines.last == "run: \(out)/run.json (completed); resume state: \(out)/last.safetensors")
        #expect(!run.stderr.contains("\r"))
    }

    @Test("on a terminal: a progress bar redrawn in place with batch, loss, accuracy, images/s and ETA")
    func progressBar() throws {
        let data = try Self.data(classes: 2, train: 6, validation: 2)
        let out = Self.runFolder()
        let command = [
            WorkbenchCLITests.executable.path, "train", "--data", data, "--weights", "embedded", "--epochs", "1",
            "--batch-size", "2", "--out", out,
        ].joined(separator: " ")
        // script(1) runs the command on a pseudo-terminal, as a user's shell would.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, Comment(rawValue: output))
        #expect(output.contains("\repoch 1/1 [########################] 6/6  loss "), Comment(rawValue: output))
        #expect(output.contains(" img/s  data wait ") && output.contains("ETA 0:00\u{1B}[K"))
        #expect(output.contains("\r\u{1B}[Kepoch 1: train loss"))
    }

    @Test("refused before training: missing or conflicting flags, bad values, an existing run, a class only in val")
    func refusals() throws {
        let missing = try WorkbenchCLITests.workbench("train", "--weights", "embedded")
        #expect(missing.status == 64 && missing.firstLine == "Error: --data DIR is required (or --resume RUN_DIR)")
        let noWeights = try WorkbenchCLITests.workbench("train", "--data", "/tmp")
        #expect(noWeights.status == 64 && noWeights.firstLine.hasPrefix("Error: --weights is required"))
        let split = try WorkbenchCLITests.workbench("train", "--data", "/tmp", "--weights", "x", "--val-split", "1.5")
        #expect(split.status == 64 && split.firstLine.contains("--val-split must be a fraction between 0 and 1"))
        let nan = try WorkbenchCLITests.workbench("train", "--data", "/tmp", "--weights", "x", "--lr", "nan")
        #expect(nan.status == 64 && nan.firstLine == "Error: --lr must be a number of at least 0, got nan")
        let strategy = try WorkbenchCLITests.workbench(
            "train", "--data", "/tmp", "--weights", "x", "--strategy", "last:0")
        #expect(strategy.status == 64 && strategy.firstLine.contains("'last:0' is invalid for '--strategy"))
        let resume = try WorkbenchCLITests.workbench("train", "--resume", "/tmp/run", "--lr", "0.1", "--seed", "2")
        #expect(resume.status == 64 && resume.firstLine.hasPrefix("Error: --lr, --seed cannot be given with --resume"))
        let noRun = try WorkbenchCLITests.workbench("train", "--resume", "/nonexistent/run")
        #expect(noRun.status == 1 && noRun.firstLine.contains("/nonexistent/run: not a training run folder"))
        let weights = try WorkbenchCLITests.workbench("train", "--data", "/tmp", "--weights", "/nonexistent.pth")
        #expect(weights.status == 1 && weights.firstLine.contains("/nonexistent.pth"))

        let data = try Self.data(classes: 2, train: 3, validation: 1)
        let out = Self.runFolder()
        let first = try WorkbenchCLITests.workbench(
            "train", "--data", data, "--weights", "embedded", "--epochs", "1", "--out", out)
        #expect(first.status == 0, Comment(rawValue: first.stderr))
        let again = try WorkbenchCLITests.workbench("train", "--data", data, "--weights", "embedded", "--out", out)
        #expect(again.status == 1 && again.firstLine.contains("already holds a training run (1 of 1 epochs"))
        #expect(again.firstLine.contains("pass --resume \(out) to continue it, or --overwrite"))
        let single = try WorkbenchCLITests.workbench(
            "train", "--data", data, "--weights", "embedded", "--batch-size", "1", "--out", Self.runFolder())
        #expect(single.status == 1 && single.firstLine.hasPrefix("Error: --batch-size 1: at 32x32"))

        try FileManager.default.createDirectory(atPath: "\(data)/val/zebra", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: "\(data)/val/digit_5/"
                + (try FileManager.default.contentsOfDirectory(atPath: "\(data)/val/digit_5")[0]),
            toPath: "\(data)/val/zebra/z.png")
        let onlyInVal = try WorkbenchCLITests.workbench(
            "train", "--data", data, "--weights", "embedded", "--out", Self.runFolder())
        #expect(onlyInVal.status == 1 && onlyInVal.firstLine.contains("class 'zebra' has no folder in \(data)/train"))
    }

    @Test("a corrupt image met during training is named, with the flag that leaves it out and how to go on")
    func corruptImageNamesTheWayOn() throws {
        let data = try Self.data(classes: 2, train: 3, validation: 1)
        let bad = "\(data)/train/digit_5/broken.png"
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: bad))
        let out = Self.runFolder()
        let stopped = try WorkbenchCLITests.workbench(
            "train", "--data", data, "--weights", "embedded", "--epochs", "1", "--out", out)
        #expect(stopped.status == 1 && stopped.stderr.contains(bad), Comment(rawValue: stopped.stderr))
        #expect(stopped.stderr.contains("run the same command again with --skip-bad-files --overwrite"))
        let skipped = try WorkbenchCLITests.workbench(
            "train", "--data", data, "--weights", "embedded", "--epochs", "1", "--out", out, "--overwrite",
            "--skip-bad-files")
        #expect(skipped.status == 0 && skipped.stderr.contains("skipped an image") && skipped.stderr.contains(bad))
    }
}
