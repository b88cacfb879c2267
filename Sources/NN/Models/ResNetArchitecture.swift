/// The ResNet depths this engine builds, by torchvision's names: the one model factory by name used by trace
/// replay, `workbench inspect` and the command line.
public enum ResNetArchitecture: String, CaseIterable, Sendable {
    case resnet18, resnet34, resnet50

    /// Builds the model as `torchvision.models.<name>(num_classes=..., zero_init_residual=...)` would, with
    /// every stage scaled to `baseChannels` (64 in torchvision).
    public func make(numClasses: Int = 1000, zeroInitResidual: Bool = false, baseChannels: Int = 64) -> ResNet {
        switch self {
        case .resnet18:
            return NN.resnet18(numClasses: numClasses, zeroInitResidual: zeroInitResidual, baseChannels: baseChannels)
        case .resnet34:
            return NN.resnet34(numClasses: numClasses, zeroInitResidual: zeroInitResidual, baseChannels: baseChannels)
        case .resnet50:
            return NN.resnet50(numClasses: numClasses, zeroInitResidual: zeroInitResidual, baseChannels: baseChannels)
        }
    }
}
