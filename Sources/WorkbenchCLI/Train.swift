import ArgumentParser
import Foundation
import NN
import Training
import Vision

/// `workbench train`: fine-tunes a pretrained ResNet on an ImageFolder of the user's own images, with progress,
/// per-epoch validation, atomic checkpoints and `--resume`.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a pretrained ResNet on your own images (one sub-folder per class).",
        discussion: """
            DIR holds train/<class>/... and val/<class>/... (as torchvision's reference train.py expects), or is \
            one ImageFolder split with --val-split. The weights' fc is replaced by a new head for DIR's classes. \
            After every epoch RUN_DIR gets run.json (settings, classes, per-epoch figures), best.safetensors (the \
            best epoch's weights, torchvision's keys) and last.safetensors (everything --resume needs), each \
            replaced atomically.
            """)

    @OptionGroup var root: RootOption

    @Option(
        help: ArgumentHelp(
            "The images: DIR/train/<class>/* and DIR/val/<class>/*, or one ImageFolder with --val-split.",
            valueName: "DIR"), completion: .directory)
    var data: String?
    @Option(help: "Hold out this fraction of DIR (or DIR/train) for validation: seeded, stratified by class.")
    var valSplit: Double?
    @Option(
        help: ArgumentHelp(
            "Starting weights: a torchvision .pth/.pt or .safetensors state dict, or 'embedded' (the workbench's "
                + "digits model).", valueName: "FILE|embedded"))
    var weights: String?
    @Option(help: "The architecture; it must be the weights' (default: theirs).")
    var model: ResNetArchitecture?
    @Option(help: "What trains; last:K is the last K residual blocks and the head (default fine-tune).")
    var strategy: TrainingStrategy?
    @Option(help: "Epochs (default 10).") var epochs: Int?
    @Option(help: "Images per batch (default 32).") var batchSize: Int?
    @Option(help: "The head's learning rate (default 0.01 with sgd, 0.001 with adam and adamw).") var lr: Double?
    @Option(help: "The backbone's learning rate (default: --lr).") var backboneLr: Double?
    @Option(help: "SGD momentum (default 0.9).") var momentum: Double?
    @Option(help: "Weight decay (default 0; 0.01 with adamw, PyTorch's).") var weightDecay: Double?
    @Option(help: "The optimizer (default sgd).") var optimizer: OptimizerChoice?
    @Option(help: "The learning-rate schedule, stepped each epoch (default none).")
    var schedule: ScheduleChoice?
    @Option(help: "Epochs between two decays of --schedule step (default 7).") var lrStepSize: Int?
    @Option(help: "The factor of each --schedule step decay (default 0.1).") var lrGamma: Double?
    @Option(help: "The lowest learning rate of --schedule cosine (default 0).") var lrMin: Double?
    @Option(help: "The side of the square input (default: the weights' preset, 224 for torchvision's).")
    var imageSize: Int?
    @Flag(help: "No random resized crop and horizontal flip on the training images.") var noAugment = false
    @Flag(
        help: """
            Recompute the frozen backbone's features every epoch, as PyTorch's plain loop does (by default they are \
            cached when the backbone is frozen and in eval mode and the images are not augmented).
            """)
    var noFeatureCache = false
    @Option(help: "The seed of the new head, the data order, the augmentation and the split (default 0).")
    var seed: UInt64?
    @Option(help: "Stop after this many epochs without a better validation result (default: never).")
    var patience: Int?
    @Flag(help: "Leave out images that cannot be decoded, with a warning naming each (default: stop with an error).")
    var skipBadFiles = false
    @Option(
        help: ArgumentHelp("The run folder (default: runs/train, runs/train2, ...).", valueName: "RUN_DIR"),
        completion: .directory)
    var out: String?
    @Flag(help: "Replace the run already in --out (its checkpoints are deleted).") var overwrite = false
    @Option(
        help: ArgumentHelp(
            "Continue the run in RUN_DIR from its last.safetensors (with its own settings; --epochs may grow).",
            valueName: "RUN_DIR"), completion: .directory)
    var resume: String?
    @OptionGroup var unwrap: UnwrapOptions

    func validate() throws {
        if let resume {
            let changed = settingFlags.filter { $0.given }.map(\.flag)
            guard changed.isEmpty, out == nil, !overwrite else {
                let flags = (changed + (out == nil ? [] : ["--out"]) + (overwrite ? ["--overwrite"] : []))
                throw ValidationError(
                    "\(flags.joined(separator: ", ")) cannot be given with --resume: the run continues with the "
                        + "settings in \(resume)/run.json (only --epochs, --data and --skip-bad-files may be given)")
            }
        } else {
            guard data != nil else { throw ValidationError("--data DIR is required (or --resume RUN_DIR)") }
            guard weights != nil else {
                throw ValidationError(
                    "--weights is required: a torchvision .pth/.safetensors file, or 'embedded' for the built-in model")
            }
        }
        try require(epochs ?? 1, atLeast: 1, flag: "--epochs")
        try require(batchSize ?? 1, atLeast: 1, flag: "--batch-size")
        try require(imageSize ?? 32, atLeast: 32, flag: "--image-size")
        try require(patience ?? 1, atLeast: 1, flag: "--patience")
        try require(lrStepSize ?? 1, atLeast: 1, flag: "--lr-step-size")
        for (flag, value) in [
            ("--lr", lr), ("--backbone-lr", backboneLr), ("--momentum", momentum), ("--weight-decay", weightDecay),
            ("--lr-min", lrMin),
        ] {
            if let value, !(value.isFinite && value >= 0) {
                throw ValidationError("\(flag) must be a number of at least 0, got \(value)")
            }
        }
        if let lrGamma, !(lrGamma.isFinite && lrGamma > 0) {
            throw ValidationError("--lr-gamma must be a positive number, got \(lrGamma)")
        }
        if let valSplit, !(valSplit > 0 && valSplit < 1) {
            throw ValidationError("--val-split must be a fraction between 0 and 1 (e.g. 0.2), got \(valSplit)")
        }
    }

    /// The flags that set what a run does, which a resumed run takes from its run.json instead.
    private var settingFlags: [(flag: String, given: Bool)] {
        [
            ("--val-split", valSplit != nil), ("--weights", weights != nil), ("--model", model != nil),
            ("--strategy", strategy != nil), ("--batch-size", batchSize != nil), ("--lr", lr != nil),
            ("--backbone-lr", backboneLr != nil), ("--momentum", momentum != nil),
            ("--weight-decay", weightDecay != nil), ("--optimizer", optimizer != nil), ("--schedule", schedule != nil),
            ("--lr-step-size", lrStepSize != nil), ("--lr-gamma", lrGamma != nil), ("--lr-min", lrMin != nil),
            ("--image-size", imageSize != nil), ("--no-augment", noAugment), ("--seed", seed != nil),
            ("--patience", patience != nil), ("--unwrap", unwrap.unwrap), ("--strip-prefix", unwrap.stripPrefix != nil),
        ]
    }

    func run() throws {
        let display = TrainingDisplay()
        let session = try resume.map { try resumed(RunDirectory(path: $0)) } ?? started()
        display.header(session)
        let interruption = Interruption { [unowned session] in TerminalText.escaped(session.lastGoodCheckpoint) }
        do {
            let manifest = try session.fit(stopRequested: { interruption.requested }, display.handle)
            display.footer(manifest, run: session.run)
        } catch let error as TrainingError {
            guard case .interrupted = error else { throw error }
            display.interrupted()
            FileHandle.standardError.write(Data("\(TerminalText.escaped(error.description))\n".utf8))
            throw ExitCode(130)
        } catch let error as VisionError where error.isAboutOneImage {
            let run = session.run.path
            let next =
                FileManager.default.fileExists(atPath: session.run.lastCheckpointPath)
                ? "continue with `workbench train --resume \(run) --skip-bad-files`"
                : "run the same command again with --skip-bad-files --overwrite (no epoch of \(run) finished)"
            throw CommandLineError("\(error)\nTo leave such images out with a warning, \(next)")
        }
    }

    /// A new run from the flags.
    private func started() throws -> TrainingSession {
        let choice = optimizer ?? .sgd
        let seed = seed ?? 0
        let pretrained = try unwrap.withCommandLineRemedies { () throws -> PretrainedWeights in
            if weights == "embedded" {
                return try PretrainedWeights.embedded(EmbeddedFixtures(root: try root.resolved().path))
            }
            return try PretrainedWeights.file(weights!, options: unwrap.loadOptions)
        }
        try pretrained.check(requested: model)
        let data = try TrainingData(folder: self.data!, validationSplit: valSplit, seed: seed)
        let strategy = strategy ?? .fineTune
        let options = TrainingOptions(
            data: self.data!, validationSplit: valSplit, strategy: strategy.description, epochs: epochs ?? 10,
            batchSize: batchSize ?? 32, lr: lr ?? choice.defaultLR, backboneLR: backboneLr, momentum: momentum ?? 0.9,
            weightDecay: weightDecay ?? choice.defaultWeightDecay, optimizer: choice.rawValue,
            schedule: (schedule ?? .none).rawValue, lrStepSize: lrStepSize ?? 7, lrGamma: lrGamma ?? 0.1,
            lrMin: lrMin ?? 0, augment: !noAugment, seed: seed, patience: patience, skipBadFiles: skipBadFiles)
        let preprocessing = imageSize.map { pretrained.preprocessing.resized(to: $0) } ?? pretrained.preprocessing
        return try TrainingSession.start(
            run: RunDirectory(path: out ?? Train.nextRunFolder()), options: options, weights: pretrained, data: data,
            preprocessing: preprocessing, strategy: strategy, overwrite: overwrite, cacheFeatures: !noFeatureCache)
    }

    /// The run in `run`, continued.
    private func resumed(_ run: RunDirectory) throws -> TrainingSession {
        let manifest = try run.readManifest()
        var options = manifest.options
        if skipBadFiles { options.skipBadFiles = true }
        let data = try TrainingData(
            folder: self.data ?? options.data, validationSplit: options.validationSplit, seed: options.seed)
        if let recorded = manifest.split, data.split?.validationFiles != recorded.validationFiles {
            FileHandle.standardError.write(
                Data(
                    ("warning: the data folder changed since the run started: the validation split differs from "
                        + "the one in \(run.manifestPath), so the result will differ from an uninterrupted run\n")
                        .utf8))
        }
        return try TrainingSession.resume(
            run: run, data: data, epochs: epochs, skipBadFiles: options.skipBadFiles, cacheFeatures: !noFeatureCache)
    }

    /// `runs/train`, or the first of `runs/train2`, `runs/train3`, ... that does not exist yet.
    static func nextRunFolder() -> String {
        var candidate = "runs/train"
        var number = 2
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = "runs/train\(number)"
            number += 1
        }
        return candidate
    }
}
