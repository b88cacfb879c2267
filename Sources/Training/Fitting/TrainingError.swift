/// Why `workbench train` stopped or refused to start; every case names the file, folder or flag at fault and, where
/// there is one, what to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The data folder is not laid out as training needs (no `train/`, a `val/` beside `--val-split`, ...).
    case dataLayout(path: String, reason: String)
    /// Classes that have a validation folder but no training folder: the model cannot learn them.
    case classesOnlyInValidation(validation: String, train: String, classes: [String])
    /// A setting that cannot work with this model or data.
    case invalidOption(flag: String, reason: String)
    /// The weights file is not a torchvision ResNet state dict, or not the architecture asked for.
    case unusableWeights(path: String, reason: String)
    /// `--out` already holds a run, or files that are not a run's.
    case outputExists(path: String, reason: String)
    /// `--resume` cannot continue this run with these settings or this data.
    case cannotResume(path: String, reason: String)
    /// `last.safetensors` is not a training state this workbench wrote.
    case malformedState(path: String, reason: String)
    /// `last.safetensors` was written by another version of its layout.
    case unsupportedStateVersion(path: String, found: String, supported: Int)
    /// A training loss became NaN or infinite; the checkpoints were left as they were.
    case diverged(epoch: Int, batch: Int, loss: Float, kept: String)
    /// A checkpoint or `run.json` could not be written; the file as it was is intact.
    case saveFailed(path: String, reason: String, kept: String)
    /// The run was asked to stop (SIGINT) and stopped at a safe point, between two batches or two saves; the
    /// epoch in progress is dropped and `kept` says which checkpoint is the last good one.
    case interrupted(during: String, kept: String)

    public var description: String {
        switch self {
        case let .dataLayout(path, reason):
            return "\(path): \(reason)"
        case let .classesOnlyInValidation(validation, train, classes):
            let names = classes.map { "'\($0)'" }.joined(separator: ", ")
            return "\(validation): class\(classes.count == 1 ? "" : "es") \(names) "
                + "\(classes.count == 1 ? "has" : "have") no folder in \(train): the model can only learn the "
                + "classes it trains on (add training images, or remove the folder from the validation set)"
        case let .invalidOption(flag, reason):
            return "\(flag): \(reason)"
        case let .unusableWeights(path, reason):
            return "\(path): \(reason)"
        case let .outputExists(path, reason):
            return "\(path): \(reason)"
        case let .cannotResume(path, reason):
            return "\(path): cannot resume: \(reason)"
        case let .malformedState(path, reason):
            return "\(path): not a training state this workbench wrote: \(reason)"
        case let .unsupportedStateVersion(path, found, supported):
            return "\(path): training state layout version \(found); this workbench reads version \(supported) "
                + "(it was written by another version of the workbench)"
        case let .diverged(epoch, batch, loss, kept):
            let value = loss.isNaN ? "nan" : loss.isInfinite ? (loss > 0 ? "inf" : "-inf") : "\(loss)"
            return "training diverged: the loss became \(value) at epoch \(epoch), batch \(batch); \(kept) "
                + "(lower --lr, or --backbone-lr, and start a new run)"
        case let .saveFailed(path, reason, kept):
            return "\(path): cannot write: \(reason); \(kept)"
        case let .interrupted(during, kept):
            return "interrupted \(during); nothing of it was saved; \(kept)"
        }
    }
}
