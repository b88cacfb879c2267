import NN

/// The ways the post "Transfer learning with PyTorch" adapts a pretrained ResNet to a new task, plus the baseline.
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

    /// Whether the setting starts from the pretrained weights.
    public var usesPretrainedWeights: Bool { self != .scratch }

    /// Freezes what the setting freezes (the new head stays trainable).
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

    /// Sets train/eval modes for a training epoch.
    public func enterTrainingMode(_ model: ResNet) {
        model.train()
        if self == .featureExtractionEval {
            model.eval()
            model.fc.train()
        }
    }
}
