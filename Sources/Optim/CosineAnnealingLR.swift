import Foundation
import Tensors

/// Anneals every group's learning rate from its base value down to `etaMin` along half a cosine over `tMax`
/// epochs, then back up over the next `tMax`, and so on (`torch.optim.lr_scheduler.CosineAnnealingLR`,
/// torch/optim/lr_scheduler.py; SGDR without restarts).
///
/// The values approximate the closed form `etaMin + (base - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`, but are
/// computed as PyTorch's `get_lr` computes them, recursively from each group's current `lr`:
///
/// ```
/// if (epoch - 1 - tMax) % (2 * tMax) == 0:     // just past a trough, where the ratio below would be 0 / 0
///     lr = lr + (base - etaMin) * (1 - cos(pi / tMax)) / 2
/// else:
///     lr = (1 + cos(pi * epoch / tMax)) / (1 + cos(pi * (epoch - 1) / tMax)) * (lr - etaMin) + etaMin
/// ```
///
/// so that a learning rate changed by hand, or by another scheduler, is annealed from where it is.
public final class CosineAnnealingLR: LRScheduler {
    public let optimizer: any Optimizer
    /// Epochs from the base learning rate down to `etaMin` (`T_max`).
    public private(set) var tMax: Int
    /// The lowest learning rate (`eta_min`).
    public private(set) var etaMin: Double
    public private(set) var baseLRs: [Double]
    public private(set) var lastEpoch: Int
    private var lastLR: [Double]

    /// Attaches the schedule to `optimizer`, starting at epoch 0 with the groups' current learning rates.
    ///
    /// - Precondition: `tMax > 0`.
    public init(optimizer: any Optimizer, tMax: Int, etaMin: Double = 0) {
        require(tMax > 0, "CosineAnnealingLR: T_max must be positive, got \(tMax)")
        self.optimizer = optimizer
        self.tMax = tMax
        self.etaMin = etaMin
        baseLRs = attachInitialLearningRates(to: optimizer)
        lastEpoch = 0
        lastLR = optimizer.learningRates
    }

    public func step() {
        lastEpoch += 1
        let (epoch, period) = (Double(lastEpoch), Double(tMax))
        let current = optimizer.learningRates
        if (lastEpoch - 1 - tMax) % (2 * tMax) == 0 {
            optimizer.learningRates = zip(baseLRs, current).map { base, lr in
                lr + (base - etaMin) * (1 - cos(Double.pi / period)) / 2
            }
        } else {
            let ratio = (1 + cos(Double.pi * epoch / period)) / (1 + cos(Double.pi * (epoch - 1) / period))
            optimizer.learningRates = current.map { lr in ratio * (lr - etaMin) + etaMin }
        }
        lastLR = optimizer.learningRates
    }

    public func getLastLR() -> [Double] { lastLR }

    public func stateDict() -> LRSchedulerStateDict {
        LRSchedulerStateDict(
            lastEpoch: lastEpoch, baseLRs: baseLRs, lastLR: lastLR,
            settings: ["T_max": Double(tMax), "eta_min": etaMin])
    }

    public func loadStateDict(_ stateDict: LRSchedulerStateDict) throws {
        try stateDict.validate(groups: optimizer.paramGroupCount)
        (tMax, etaMin) = (try stateDict.wholeSetting("T_max"), try stateDict.setting("eta_min"))
        (lastEpoch, baseLRs, lastLR) = (stateDict.lastEpoch, stateDict.baseLRs, stateDict.lastLR)
    }

    /// The closed form at `epoch` from `baseLR` (`_get_closed_form_lr`), which the recursive ``step()`` values
    /// approximate; for comparison and plots.
    public func closedFormLR(baseLR: Double, epoch: Int) -> Double {
        etaMin + (baseLR - etaMin) * (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2
    }
}
