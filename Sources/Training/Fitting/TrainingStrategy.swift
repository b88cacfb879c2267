import NN
import Tensors

/// What `workbench train --strategy` trains of a pretrained ResNet whose `fc` has just been replaced:
///
/// - `feature-extract`: only the new head; the whole model stays in train mode, so the frozen backbone's batch
///   norms keep updating their running statistics (the post's code, ``TransferSetting/featureExtraction``).
/// - `feature-extract-eval`: only the new head, with the frozen backbone in eval mode: its batch norms use the
///   pretrained statistics (``TransferSetting/featureExtractionEval``).
/// - `last:K`: the last K residual blocks (counted over layer1...layer4, as lesson 03's solution counts them) and
///   the head; `last:2` of a resnet18 is its layer4 (``TransferSetting/layer4``). The model is in train mode.
/// - `fine-tune`: every parameter (``TransferSetting/fineTune``).
///
/// The parameters are split into two groups for the optimizer - the pretrained backbone's trainable ones first
/// (`--backbone-lr`), then the head's (`--lr`) - as discriminative fine-tuning does in PyTorch with
/// `SGD([{"params": backbone, "lr": ...}, {"params": model.fc.parameters()}], lr=...)`.
public enum TrainingStrategy: Equatable, Sendable, CustomStringConvertible {
    case featureExtract
    case featureExtractEval
    case lastBlocks(Int)
    case fineTune

    /// The names `--strategy` accepts, for messages and help.
    public static let choices = ["feature-extract", "feature-extract-eval", "last:K", "fine-tune"]

    /// Parses `feature-extract`, `feature-extract-eval`, `last:K` (K >= 1) or `fine-tune`; nil for anything else.
    public init?(argument: String) {
        switch argument {
        case "feature-extract": self = .featureExtract
        case "feature-extract-eval": self = .featureExtractEval
        case "fine-tune": self = .fineTune
        default:
            guard argument.hasPrefix("last:"), let count = Int(argument.dropFirst("last:".count)), count >= 1 else {
                return nil
            }
            self = .lastBlocks(count)
        }
    }

    /// The command-line name (`last:2`, ...).
    public var description: String {
        switch self {
        case .featureExtract: return "feature-extract"
        case .featureExtractEval: return "feature-extract-eval"
        case .lastBlocks(let count): return "last:\(count)"
        case .fineTune: return "fine-tune"
        }
    }

    /// The ``TransferSetting`` this strategy is, where there is one (`last:K` is one only for layer4's K).
    public func transferSetting(for model: ResNet) -> TransferSetting? {
        switch self {
        case .featureExtract: return .featureExtraction
        case .featureExtractEval: return .featureExtractionEval
        case .fineTune: return .fineTune
        case .lastBlocks(let count): return count == model.layer4.children.count ? .layer4 : nil
        }
    }

    /// The residual blocks of the four stages in order (`[b for s in (layer1, ..., layer4) for b in s]`).
    static func residualBlocks(of model: ResNet) -> [Module] {
        [model.layer1, model.layer2, model.layer3, model.layer4].flatMap(\.children)
    }

    /// Whether `model` has the blocks the strategy names: `last:K` needs at most as many blocks as the model has.
    public func blockCountError(for model: ResNet) -> String? {
        guard case .lastBlocks(let count) = self else { return nil }
        let available = TrainingStrategy.residualBlocks(of: model).count
        return count <= available
            ? nil
            : "--strategy last:\(count): the model has only \(available) residual blocks (last:1...last:\(available))"
    }

    /// Sets `requires_grad` as the strategy trains: the head always, the backbone as the strategy says.
    public func configureParameters(_ model: ResNet) {
        switch self {
        case .featureExtract, .featureExtractEval, .fineTune:
            transferSetting(for: model)?.configureParameters(model)
        case .lastBlocks(let count):
            model.freeze()
            for block in TrainingStrategy.residualBlocks(of: model).suffix(count) { block.unfreeze() }
            model.fc.unfreeze()
        }
    }

    /// Sets train/eval modes for a training epoch (everything in train mode, except `feature-extract-eval`'s
    /// frozen backbone).
    public func enterTrainingMode(_ model: ResNet) {
        model.train()
        if self == .featureExtractEval {
            model.eval()
            model.fc.train()
        }
    }

    /// The trainable parameters in two groups: the backbone's (empty when it is frozen) and the head's.
    public func parameterGroups(_ model: ResNet) -> (backbone: [Tensor], head: [Tensor]) {
        let head = model.fc.parameters()
        let headIDs = Set(head.map(ObjectIdentifier.init))
        let backbone = model.trainableParameters().filter { !headIDs.contains(ObjectIdentifier($0)) }
        return (backbone, head)
    }
}
