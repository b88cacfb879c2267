import Foundation
import Golden
import Images
import TestSupport
import Testing
import Training

/// `workbench evaluate`, `predict` and `export` on a real run folder (``RunFolderFixture``), run as the built
/// executable, with the bad inputs a user meets: another set of classes, a corrupt or missing image, a bare
/// checkpoint whose head does not fit, an existing export.
@Suite("workbench evaluate, predict, export", .serialized)
struct RunCommandsTests {
    static let run: RunDirectory = {
        do { return try RunFolderFixture.make(epochs: 2) } catch { fatalError("cannot make the run folder: \(error)") }
    }()
    static let target = WorkbenchCLITests.fixture("Fixtures/data/target")

    /// A copy of the target's train images (3 per class) in a new folder, to alter.
    static func dataCopy() throws -> String {
        let folder = NSTemporaryDirectory() + "cli-data-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: target + "/train", toPath: folder)
        return folder
    }

    static func firstImage(_ folder: String, _ name: String) throws -> String {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/" + name).sorted()
        return folder + "/" + name + "/" + files[0]
    }

    @Test("evaluate a run on a folder with val/: report text, evaluation.json and a self-contained report.html")
    func evaluateRun() throws {
        let result = try WorkbenchCLITests.workbench("evaluate", Self.run.path, "--data", Self.target, "--worst", "4")
        #expect(result.status == 0, Comment(rawValue: result.stderr))
        #expect(result.stdout.contains("(the val/ split)") && result.stdout.contains("weighted avg"))
        #expect(result.stdout.contains("confusion matrix (rows: true class") && result.stdout.contains("highest loss:"))
        let json = try Data(contentsOf: URL(fileURLWithPath: Self.run.evaluationPath))
        let evaluation = try JSONDecoder().decode(Evaluation.self, from: json)
        #expect(evaluation.format == "workbench-evaluation" && evaluation.worst.count == 4)
        #expect(evaluation.source.data.hasSuffix("target/val") && evaluation.images == evaluation.predictions.count)
        #expect(result.stdout.contains(String(format: "accuracy %.4f", evaluation.accuracy)))
        let page = try String(contentsOfFile: Self.run.reportPath, encoding: .utf8)
        #expect(page.contains("<polyline") && page.contains("class=\"confusion\""))
        #expect(page.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 4)
    }

    @Test("evaluate refuses a folder whose classes differ, naming the extra (escaped) and the missing ones")
    func evaluateClassMismatch() throws {
        let data = try Self.dataCopy()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // A folder name cannot hold "/", so not "<script>alert(1)</script>"; this one is as hostile in HTML.
        try FileManager.default.moveItem(atPath: data + "/digit_9", toPath: data + "/<img src=x onerror=alert(1)>")
        try FileManager.default.moveItem(atPath: data + "/digit_8", toPath: data + "/bell\u{7}")
        let result = try WorkbenchCLITests.workbench("evaluate", Self.run.path, "--data", data)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("\(data): its class folders differ from the model's"),
            Comment(rawValue: result.stderr))
        #expect(result.stderr.contains("not classes of the model: '<img src=x onerror=alert(1)>', 'bell\\u{7}'"))
        #expect(result.stderr.contains("missing from the folder: 'digit_8', 'digit_9'"))
        #expect(!result.stderr.contains("\u{7}"))
    }

    @Test("evaluate: a corrupt image stops with its name, or is skipped with a warning and listed")
    func evaluateCorruptImage() throws {
        let data = try Self.dataCopy()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let bad = try Self.firstImage(data, "digit_6")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bad))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: bad))
        let report = data + "/report.html"
        let stopped = try WorkbenchCLITests.workbench("evaluate", Self.run.path, "--data", data, "--report", report)
        #expect(stopped.status == 1 && stopped.stderr.contains(bad), Comment(rawValue: stopped.stderr))
        let skipped = try WorkbenchCLITests.workbench(
            "evaluate", Self.run.path, "--data", data, "--skip-bad-files", "--report", report, "--json",
            data + "/e.json")
        #expect(skipped.status == 0, Comment(rawValue: skipped.stderr))
        #expect(skipped.stderr.contains("warning: DataLoader skipped a file") && skipped.stderr.contains(bad))
        #expect(skipped.stdout.contains("14 images, 5 classes") && skipped.stdout.contains("skipped 1 unreadable"))
        #expect(try String(contentsOfFile: report, encoding: .utf8).contains("Skipped files"))
    }

    @Test("evaluate a bare checkpoint: its fc must fit the class names; a preset is needed without a sidecar")
    func evaluateBareCheckpoint() throws {
        let data = Self.target + "/train"
        let checkpoint = Self.run.bestCheckpointPath
        let noPreset = try WorkbenchCLITests.workbench("evaluate", checkpoint, "--data", data)
        #expect(noPreset.status == 1 && noPreset.stderr.contains("pass --preset imagenet"))
        let wrong = try WorkbenchCLITests.workbench(
            "evaluate", checkpoint, "--data", data, "--preset", "embedded", "--classes", "a,b,c")
        #expect(wrong.status == 1)
        #expect(
            wrong.stderr.contains("its fc has 5 outputs (fc.weight [5, 96]) but --classes names 3 classes"),
            Comment(rawValue: wrong.stderr))
        let ok = try WorkbenchCLITests.workbench("evaluate", checkpoint, "--data", data, "--preset", "embedded")
        #expect(ok.status == 0 && ok.stdout.contains("classes from the data folder"), Comment(rawValue: ok.stderr))
        #expect(ok.stdout.contains("pass --json FILE and --report FILE"))
        let flags = try WorkbenchCLITests.workbench("evaluate", Self.run.path, "--data", data, "--preset", "imagenet")
        #expect(flags.status == 64 && flags.stderr.contains("--preset describe a bare checkpoint"))
        let missing = try WorkbenchCLITests.workbench("evaluate", "/nonexistent/run", "--data", data)
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/run: no such run folder or checkpoint"))
    }

    @Test("evaluate: a run folder from another version is refused by name; a report that cannot be written is named")
    func evaluateBadRunAndUnwritableReport() throws {
        let data = Self.target + "/train"
        let folder = NSTemporaryDirectory() + "cli-run-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Self.run.path, toPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let copy = RunDirectory(path: folder)
        let manifest = try Data(contentsOf: URL(fileURLWithPath: copy.manifestPath))
        let newer = String(decoding: manifest, as: UTF8.self).replacingOccurrences(
            of: "\"version\" : 1", with: "\"version\" : 7")
        try Data(newer.utf8).write(to: URL(fileURLWithPath: copy.manifestPath))
        let foreign = try WorkbenchCLITests.workbench("evaluate", folder, "--data", data)
        #expect(foreign.status == 1)
        #expect(
            foreign.stderr.contains("\(copy.manifestPath): written by run format version 7"),
            Comment(rawValue: foreign.stderr))
        try manifest.write(to: URL(fileURLWithPath: copy.manifestPath))
        try? FileManager.default.removeItem(atPath: copy.evaluationPath)
        let unwritable = try WorkbenchCLITests.workbench(
            "evaluate", folder, "--data", data, "--report", "/nonexistent/folder/report.html")
        #expect(unwritable.status == 1 && unwritable.stderr.contains("/nonexistent/folder/report.html: cannot write"))
        #expect(FileManager.default.fileExists(atPath: copy.evaluationPath), "the JSON is written before the report")
    }

    @Test("predict: top-k names and probabilities; a missing or corrupt image is named, the others still predicted")
    func predict() throws {
        let folder = NSTemporaryDirectory() + "cli-predict-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let gray = try Self.firstImage(Self.target + "/val", "digit_7")  // an 8-bit gray PNG: converted to RGB
        let corrupt = folder + "/corrupt.png"
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: corrupt))
        let result = try WorkbenchCLITests.workbench(
            "predict", Self.run.path, gray, folder + "/missing.png", corrupt, "--top-k", "3")
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix(gray + "\n  1. digit_"), Comment(rawValue: result.stdout))
        #expect(result.stdout.contains("  3. digit_") && !result.stdout.contains("  4. "))
        #expect(result.stderr.contains(folder + "/missing.png") && result.stderr.contains(corrupt))
        #expect(result.stdout.contains("2 of 3 image(s) could not be predicted"))
        let json = try WorkbenchCLITests.workbench("predict", Self.run.path, gray, "--format", "json")
        #expect(json.status == 0, Comment(rawValue: json.stderr))
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let top = ((object?["predictions"] as? [[String: Any]])?.first?["top"] as? [[String: Any]]) ?? []
        let probabilities = top.compactMap { $0["probability"] as? Double }
        #expect(top.count == 5 && probabilities == probabilities.sorted(by: >))
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5, "5 of 5 classes: the probabilities sum to 1")
        let tooMany = try WorkbenchCLITests.workbench("predict", Self.run.path, gray, "--top-k", "9")
        #expect(tooMany.status == 64 && tooMany.stderr.contains("--top-k 9 is more than the model's 5 classes"))
    }

    @Test("export writes the checkpoint and its sidecar, refuses to overwrite without --force, names bad paths")
    func export() throws {
        let folder = NSTemporaryDirectory() + "cli-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/model.pth"
        let ok = try WorkbenchCLITests.workbench("export", Self.run.path, "--to", path)
        #expect(ok.status == 0, Comment(rawValue: ok.stderr))
        #expect(ok.stdout.contains("resnet('resnet18', 5, base_width=12)") && ok.stdout.contains("weights_only=True"))
        let sidecar = try ExportedModel.read(path: folder + "/model.json")
        #expect(sidecar.classes == (try Self.run.readManifest()).classes)
        let again = try WorkbenchCLITests.workbench("export", Self.run.path, "--to", path)
        #expect(again.status == 1 && again.stderr.contains("\(path) exists; pass --force to replace it"))
        #expect(try WorkbenchCLITests.workbench("export", Self.run.path, "--to", path, "--force").status == 0)
        let predicted = try WorkbenchCLITests.workbench(
            "predict", path, try Self.firstImage(Self.target + "/val", "digit_5"), "--top-k", "1")
        #expect(predicted.status == 0 && predicted.stdout.contains("1. digit_"), Comment(rawValue: predicted.stderr))
        let onnx = try WorkbenchCLITests.workbench("export", Self.run.path, "--to", folder + "/model.onnx")
        #expect(onnx.status == 1 && onnx.stderr.contains("model.onnx: export writes .pth"))
        let notRun = try WorkbenchCLITests.workbench("export", folder, "--to", folder + "/x.pth")
        #expect(notRun.status == 1 && notRun.stderr.contains("\(folder): not a training run folder"))
    }
}
