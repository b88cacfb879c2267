import ArgumentParser
import Training

// The choices of `workbench train`, parsed by swift-argument-parser so `--help` lists them and a bad value is a
// usage error naming the flag.

extension TrainingStrategy: ExpressibleByArgument {
    public static var allValueStrings: [String] { choices }
    public var defaultValueDescription: String { description }
}

/// `--optimizer`: torch.optim's SGD (with momentum), Adam and AdamW.
enum OptimizerChoice: String, CaseIterable, ExpressibleByArgument {
    case sgd, adam, adamw

    /// PyTorch's default learning rate for Adam and AdamW (1e-3); 0.01 for SGD, as fine-tuning recipes use.
    var defaultLR: Double { self == .sgd ? 0.01 : 0.001 }
    /// PyTorch's default weight decay: 0, or 0.01 for AdamW.
    var defaultWeightDecay: Double { self == .adamw ? 0.01 : 0 }
}

/// `--schedule`: no schedule, StepLR or CosineAnnealingLR, stepped once per epoch.
enum ScheduleChoice: String, CaseIterable, ExpressibleByArgument {
    case none, step, cosine
}
