/// The ways the post "Transfer learning with PyTorch" adapts a pretrained ResNet to a new task, plus the baseline:
/// the one definition of which parameters each setting trains and which modules it keeps in eval mode, used by the
/// experiment, trace replay, the benchmarks, the lessons and the command line.
///
/// The raw values are the command line's names; ``generatorName`` is the name the PyTorch generator
/// (`Fixtures/tlref/traces.py`, `data.py`) gives the same setting.
public enum TransferSetting: String, CaseIterable, Sendable {
    /// A freshly initialised model trained on the new task alone.
    case scratch
    /// The post's feature extractor: every pretrained parameter frozen, a new `fc` trained, and the whole model
    /// in train mode - so batch norm keeps updating its running statistics (pytorch/pytorch#86590).
    case featureExtraction = "feature-extraction"
    /// The same, with the frozen backbone in eval mode: its batch norms use the pretrained statistics.
    case featureExtractionEval = "feature-extraction-eval"
    /// The last stage unfrozen together with the new head (`layer4` + `fc`).
    case layer4 = "layer4-fc"
    /// Everything trainable, starting from the pretrained weights.
    case fineTune = "fine-tune"

    /// The PyTorch generator's name for this setting (`configuration` in trace files, rows of the premise table).
    public var generatorName: String {
        switch self {
        case .scratch: return "scratch"
        case .featureExtraction: return "frozen_train"
        case .featureExtractionEval: return "frozen_eval"
        case .layer4: return "layer4_fc"
        case .fineTune: return "full"
        }
    }

    /// The setting the generator calls `name`, or nil.
    public init?(generatorName name: String) {
        guard let setting = TransferSetting.allCases.first(where: { $0.generatorName == name }) else { return nil }
        self = setting
    }

    /// Whether the setting starts from the pretrained weights.
    public var usesPretrainedWeights: Bool { self != .scratch }

    /// Freezes what the setting freezes (the new head stays trainable): `requires_grad` per parameter.
    public func configureParameters(_ model: ResNet) {
        switch self {
        case .scratch, .fineTune:
            model.unfreeze()
        case .featureExtraction, .featureExtractionEval:
            model.freeze()
            model.fc.unfreeze()
        case .layer4:
            model.freeze()
            model.layer4.unfreeze()
            model.fc.unfreeze()
        }
    }

    /// Sets train/eval modes for a training epoch: everything in train mode, except the frozen backbone of
    /// ``featureExtractionEval``.
    public func enterTrainingMode(_ model: ResNet) {
        model.train()
        if self == .featureExtractionEval {
            model.eval()
            model.fc.train()
        }
    }

    /// ``configureParameters(_:)`` then ``enterTrainingMode(_:)``: the model as the setting trains it.
    public func apply(to model: ResNet) {
        configureParameters(model)
        enterTrainingMode(model)
    }
}
