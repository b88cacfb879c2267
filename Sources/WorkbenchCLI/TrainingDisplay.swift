import Foundation
import NN
import Training

/// How `workbench train` shows a run: on a terminal (standard error is a TTY) a progress bar per epoch, redrawn in
/// place with the batch, running loss and accuracy, images/s, the share of time spent waiting for data and the
/// time left; otherwise plain log lines (a line every tenth of a long epoch). Each finished epoch is one line on
/// standard output either way.
final class TrainingDisplay {
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastDraw: UInt64 = 0
    private var barShown = false
    private var nextLogBatch = 0

    /// What the run trains on and with what, before the first epoch.
    func header(_ session: TrainingSession) {
        let manifest = session.manifest
        let options = manifest.options
        let trainable = session.model.parameterCount(trainableOnly: true)
        let total = session.model.parameterCount()
        let split = options.validationSplit.map { " (--val-split \($0), stratified, seed \(options.seed))" } ?? ""
        let classes =
            manifest.classes.prefix(8).map(TerminalText.escaped).joined(separator: ", ")
            + (manifest.classes.count > 8 ? ", ..." : "")
        let lr =
            options.backboneLR.map { "lr \(options.lr) (backbone \($0))" } ?? "lr \(options.lr)"
        let schedule: String
        switch options.schedule {
        case "step": schedule = "step (every \(options.lrStepSize) epochs x \(options.lrGamma))"
        case "cosine": schedule = "cosine (to \(options.lrMin) over \(options.epochs) epochs)"
        default: schedule = "none"
        }
        let preprocessing = manifest.preprocessing
        print(
            "data: \(TerminalText.escaped(options.data)): \(manifest.trainImages ?? 0) training, "
                + "\(manifest.validationImages ?? 0) validation images\(split)"
        )
        print("classes (\(manifest.classes.count)): \(classes)")
        print(
            "model: \(manifest.model.architecture) (width \(manifest.model.baseChannels)) "
                + "from \(TerminalText.escaped(manifest.model.weights)), "
                + "new fc for \(manifest.classes.count) classes; \(options.strategy): "
                + "\(Self.grouped(trainable)) of \(Self.grouped(total)) parameters train")
        print(
            "training: \(options.epochs) epochs of batch \(options.batchSize), \(options.optimizer) \(lr)"
                + (options.optimizer == "sgd" ? " momentum \(options.momentum)" : "")
                + " weight decay \(options.weightDecay), schedule \(schedule), seed \(options.seed)"
                + (options.patience.map { ", patience \($0)" } ?? ""))
        let training =
            options.augment
            ? "RandomResizedCrop(\(preprocessing.imageSize)) + flip" : "as validation (--no-augment)"
        print(
            "input: \(preprocessing.imageSize)x\(preprocessing.imageSize); train \(training); validation "
                + "Resize(\(preprocessing.resize)) + CenterCrop(\(preprocessing.imageSize)); "
                + "mean \(Self.list(preprocessing.mean)) std \(Self.list(preprocessing.std))")
        print(TerminalText.escaped(session.featureCaching))
        if session.nextEpoch > 0 {
            print("resuming \(TerminalText.escaped(session.run.path)) after epoch \(session.nextEpoch)")
        } else {
            print("run folder: \(TerminalText.escaped(session.run.path))")
        }
        for warning in session.warnings { warn(warning) }
        fflush(stdout)
    }

    /// Reports one event.
    func handle(_ event: TrainingEvent) {
        switch event {
        case let .batch(progress):
            if terminal {
                let now = DispatchTime.now().uptimeNanoseconds
                guard progress.batch == progress.batches || now - lastDraw > 100_000_000 else { return }
                lastDraw = now
                draw(bar(progress))
            } else if progress.batches >= 20 {
                if progress.batch == 1 { nextLogBatch = progress.batches / 10 }
                guard progress.batch >= nextLogBatch, progress.batch < progress.batches else { return }
                nextLogBatch += progress.batches / 10
                print(logLine(progress))
                fflush(stdout)
            }
        case let .validating(epoch):
            if terminal { draw("epoch \(epoch): validating...") }
        case let .epochFinished(epoch, isBest):
            clearBar()
            print(epochLine(epoch, isBest: isBest))
            fflush(stdout)
        case let .warning(message):
            warn(message)
        }
    }

    /// The outcome and where the files are.
    func footer(_ manifest: RunManifest, run: RunDirectory) {
        clearBar()
        if let message = manifest.message { print("\(manifest.status.rawValue): \(TerminalText.escaped(message))") }
        if let best = manifest.best, let epoch = manifest.epochs.first(where: { $0.epoch == best }) {
            print(
                "best: epoch \(best), validation accuracy \(Self.fixed(epoch.validationAccuracy, 4)), loss "
                    + "\(Self.fixed(epoch.validationLoss, 4)) -> \(TerminalText.escaped(run.bestCheckpointPath))")
        }
        print(
            "run: \(TerminalText.escaped(run.manifestPath)) (\(manifest.status.rawValue)); resume state: "
                + TerminalText.escaped(run.lastCheckpointPath))
    }

    /// Clears the progress bar before the interruption message.
    func interrupted() {
        clearBar()
        fflush(stdout)
    }

    // MARK: Lines

    private func bar(_ p: BatchProgress) -> String {
        let width = 24
        let filled = p.batches > 0 ? width * p.batch / p.batches : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "epoch \(p.epoch)/\(p.epochs) [\(bar)] \(p.batch)/\(p.batches)  " + figures(p)
    }

    private func logLine(_ p: BatchProgress) -> String {
        "epoch \(p.epoch)/\(p.epochs) batch \(p.batch)/\(p.batches)  " + figures(p)
    }

    private func figures(_ p: BatchProgress) -> String {
        "loss \(Self.fixed(p.meanLoss, 4))  acc \(Self.fixed(p.accuracy, 3))  "
            + "\(Self.fixed(p.imagesPerSecond, 1)) img/s  data wait \(Self.percent(p.waitFraction))  "
            + "ETA \(Self.clock(p.remainingSeconds))"
    }

    private func epochLine(_ e: RunManifest.Epoch, isBest: Bool) -> String {
        let wait = e.dataWaitSeconds.map { "  data wait \(Self.fixed($0, 1)) s" } ?? ""
        return "epoch \(e.epoch): train loss \(Self.fixed(e.trainLoss, 4)) acc \(Self.fixed(e.trainAccuracy, 3))  "
            + "val loss \(Self.fixed(e.validationLoss, 4)) acc \(Self.fixed(e.validationAccuracy, 3))  "
            + "lr \(e.learningRates.map { Self.short($0) }.joined(separator: "/"))  \(Self.fixed(e.seconds, 1)) s  "
            + "\(Self.fixed(e.imagesPerSecond, 1)) img/s\(wait)\(e.cachedFeatures == true ? "  (cached features)" : "")"
            + (isBest ? "  * best" : "")
    }

    // MARK: Terminal

    /// Redraws the bar line on standard error, cut to the terminal's width so it never wraps.
    private func draw(_ line: String) {
        var size = winsize()
        let columns = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 120
        FileHandle.standardError.write(Data(("\r" + String(line.prefix(columns - 1)) + "\u{1B}[K").utf8))
        barShown = true
    }

    private func clearBar() {
        guard barShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        barShown = false
    }

    private func warn(_ message: String) {
        clearBar()
        fflush(stdout)
        FileHandle.standardError.write(Data("warning: \(TerminalText.escaped(message))\n".utf8))
    }

    // MARK: Numbers

    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    static func percent(_ fraction: Double) -> String { String(format: "%.0f%%", fraction * 100) }

    /// A learning rate in the fewest digits (`0.01`, `1e-05`).
    static func short(_ value: Double) -> String { String(format: "%.4g", value) }

    /// `[0.485, 0.456, 0.406]`.
    static func list(_ values: [Float]) -> String {
        "[" + values.map { short(Double($0)) }.joined(separator: ", ") + "]"
    }

    /// `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0
            ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }

    /// `11,689,512`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return result
    }
}
