/// Changes the learning rate of every parameter group of an optimizer as training goes on
/// (`torch.optim.lr_scheduler.LRScheduler`, torch/optim/lr_scheduler.py).
///
/// Creating a scheduler records each group's current `lr` as its `initialLR` (unless an earlier scheduler did)
/// and counts as epoch 0; call ``step()`` once per epoch after the optimizer's steps:
///
/// ```swift
/// let scheduler = StepLR(optimizer: optimizer, stepSize: 7, gamma: 0.1)
/// for epoch in 0..<25 {
///     train(epoch)          // optimizer.step() for every batch
///     scheduler.step()
/// }
/// ```
public protocol LRScheduler: AnyObject {
    /// The optimizer whose groups' learning rates this scheduler sets.
    var optimizer: any Optimizer { get }
    /// Every group's learning rate when the schedule started (`base_lrs`, from `initial_lr`).
    var baseLRs: [Double] { get }
    /// The epoch the current learning rates belong to: 0 after creation, then one more per ``step()``
    /// (`last_epoch`).
    var lastEpoch: Int { get }
    /// Moves to the next epoch and sets every group's learning rate for it (`scheduler.step()`).
    func step()
    /// The learning rates the last ``step()`` (or the initializer) set, in group order (`get_last_lr()`).
    func getLastLR() -> [Double]
    /// The epoch, base and last learning rates (`scheduler.state_dict()`).
    func stateDict() -> LRSchedulerStateDict
    /// Continues from `stateDict` (`scheduler.load_state_dict`); the optimizer's learning rates are its own
    /// (restore them with ``Optimizer/loadStateDict(_:)``).
    ///
    /// - Throws: ``OptimizerStateError`` when the state is for another number of parameter groups.
    func loadStateDict(_ stateDict: LRSchedulerStateDict) throws
}

/// Records each group's current learning rate as its initial one where none is recorded yet
/// (`group.setdefault("initial_lr", group["lr"])`) and returns the initial learning rates (`base_lrs`).
func attachInitialLearningRates(to optimizer: any Optimizer) -> [Double] {
    let initial = zip(optimizer.initialLearningRates, optimizer.learningRates).map { recorded, current in
        recorded ?? current
    }
    optimizer.initialLearningRates = initial
    return initial
}
