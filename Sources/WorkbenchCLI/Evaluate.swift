import ArgumentParser
import Checkpoints
import Foundation
import Training
import Vision

/// `workbench evaluate RUN_DIR|CHECKPOINT --data DIR`: scores, confusion matrix, worst images; text, JSON and an
/// HTML report.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained model on a folder of images: per-class scores, confusion matrix, worst images.",
        discussion: """
            SOURCE is a run folder (`workbench train --out RUN_DIR`: its best checkpoint, classes and preprocessing \
            from run.json) or a bare .pth/.safetensors checkpoint (classes and preprocessing from the sidecar \
            `workbench export` writes beside it, or --classes/--preset). DIR is an ImageFolder (one sub-folder per \
            class); a folder whose only sub-folders are train/, val/ and test/ is evaluated on its val/. Its classes \
            must be the model's. The model runs in eval mode, without autograd, on the evaluation transform (resize, \
            center crop, normalize). Prints accuracy, precision/recall/F1/support per class with macro and weighted \
            averages (scikit-learn's definitions, zero_division=0), the confusion matrix (rows: true class), the \
            most-confused pairs and the highest-loss images; writes RUN_DIR/evaluation.json and RUN_DIR/report.html \
            (a self-contained page: curves, heat map, thumbnails), or --json/--report FILE.
            """)

    @Argument(help: "A run folder, or a .pth/.safetensors checkpoint.", completion: .file())
    var source: String

    @Option(help: "The image folder to evaluate (an ImageFolder, or a folder holding val/).", completion: .directory)
    var data: String

    @Option(help: "Images per batch.") var batchSize = 32
    @Option(help: "How many highest-loss images to list and show.") var worst = 12
    @Option(help: "Write the HTML report here (default: RUN_DIR/report.html; none for a bare checkpoint).")
    var report: String?
    @Option(help: "Write the JSON here (default: RUN_DIR/evaluation.json; none for a bare checkpoint).")
    var json: String?
    @Flag(
        help: "Leave out image files that cannot be decoded, with a warning naming each (default: stop at the first).")
    var skipBadFiles = false

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        try require(batchSize, atLeast: 1, flag: "--batch-size")
        try require(worst, atLeast: 0, flag: "--worst")
    }

    func run() throws {
        try withTerminalSafeErrors {
            let root = EvaluationData.root(of: data)
            let folder = try ImageFolder(root: root)
            let trained = try modelOptions.load(source, dataClasses: folder.classes)
            try trained.requireClasses(folder.classes, dataPath: root)
            print("model: \(TerminalText.escaped(trained.summary))")
            let split = root == data ? "" : " (the val/ split)"
            print(
                "data: \(TerminalText.escaped(root))\(split), \(folder.count) images; classes from "
                    + TerminalText.escaped(trained.classesSource))
            let loader = DataLoader(
                folder, batchSize: batchSize, transform: trained.preprocessing.evaluationTransform,
                skipBadFiles: skipBadFiles)
            let predictions = try Evaluator.predict(trained.model, on: loader)
            guard !predictions.isEmpty else {
                throw CommandLineError("\(root): no image could be loaded (\(loader.skippedFiles.count) skipped)")
            }
            let evaluation = Evaluation(
                source: .init(
                    checkpoint: trained.checkpointPath, run: trained.run?.path,
                    architecture: trained.architecture.rawValue, baseChannels: trained.model.baseChannels,
                    data: root, preprocessing: trained.preprocessing),
                classes: trained.classes, predictions: predictions, skipped: loader.skippedFiles, worstCount: worst)
            print("")
            print(evaluation.text())
            print("")
            let jsonPath = json ?? trained.run?.evaluationPath
            let reportPath = report ?? trained.run?.reportPath
            if let jsonPath {
                try AtomicFile.write(try evaluation.encoded(), to: jsonPath)
                print("wrote \(TerminalText.escaped(jsonPath))")
            }
            if let reportPath {
                let page = EvaluationReport(evaluation: evaluation, manifest: trained.manifest).html()
                try AtomicFile.write(page, to: reportPath)
                print("wrote \(TerminalText.escaped(reportPath)) (open it in a browser; it needs no network)")
            }
            if jsonPath == nil && reportPath == nil {
                print("(a bare checkpoint has no run folder: pass --json FILE and --report FILE to keep the results)")
            }
        }
    }
}

/// Which folder `evaluate --data DIR` reads.
enum EvaluationData {
    /// `DIR/val` when DIR is a split layout (its only sub-folders are among train, val and test, and val is one),
    /// else DIR itself.
    static func root(of folder: String) -> String {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: folder) else { return folder }
        let folders = names.filter { name in
            var isDirectory: ObjCBool = false
            return manager.fileExists(
                atPath: (folder as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        guard folders.contains("val"), Set(folders).isSubset(of: ["train", "val", "test"]) else { return folder }
        return (folder as NSString).appendingPathComponent("val")
    }
}
