import Tensors

/// Multiplies every group's learning rate by `gamma` every `stepSize` epochs
/// (`torch.optim.lr_scheduler.StepLR`, torch/optim/lr_scheduler.py).
///
/// At each ``step()`` to an epoch that is a nonzero multiple of `stepSize`, `lr = lr * gamma`, applied to the
/// groups' current learning rates (PyTorch's recursive `get_lr`, so changes made to `lr` by hand carry on);
/// with base learning rate `lr0` this gives `lr0 * gamma^(epoch / stepSize)`.
///
/// ```swift
/// let scheduler = StepLR(optimizer: optimizer, stepSize: 7, gamma: 0.1)   // epochs 0-6: lr0, 7-13: lr0/10, ...
/// ```
public final class StepLR: LRScheduler {
    public let optimizer: any Optimizer
    /// Epochs between two decays (`step_size`).
    public private(set) var stepSize: Int
    /// The factor applied at each decay (`gamma`).
    public private(set) var gamma: Double
    public private(set) var baseLRs: [Double]
    public private(set) var lastEpoch: Int
    private var lastLR: [Double]

    /// Attaches the schedule to `optimizer`, starting at epoch 0 with the groups' current learning rates.
    ///
    /// - Precondition: `stepSize > 0`.
    public init(optimizer: any Optimizer, stepSize: Int, gamma: Double = 0.1) {
        require(stepSize > 0, "StepLR: step_size must be positive, got \(stepSize)")
        self.optimizer = optimizer
        self.stepSize = stepSize
        self.gamma = gamma
        baseLRs = attachInitialLearningRates(to: optimizer)
        lastEpoch = 0
        lastLR = optimizer.learningRates
    }

    public func step() {
        lastEpoch += 1
        if lastEpoch % stepSize == 0 {
            optimizer.learningRates = optimizer.learningRates.map { $0 * gamma }
        }
        lastLR = optimizer.learningRates
    }

    public func getLastLR() -> [Double] { lastLR }

    public func stateDict() -> LRSchedulerStateDict {
        LRSchedulerStateDict(
            lastEpoch: lastEpoch, baseLRs: baseLRs, lastLR: lastLR,
            settings: ["step_size": Double(stepSize), "gamma": gamma])
    }

    public func loadStateDict(_ stateDict: LRSchedulerStateDict) throws {
        try stateDict.validate(groups: optimizer.paramGroupCount)
        (stepSize, gamma) = (try stateDict.wholeSetting("step_size"), try stateDict.setting("gamma"))
        (lastEpoch, baseLRs, lastLR) = (stateDict.lastEpoch, stateDict.baseLRs, stateDict.lastLR)
    }
}
