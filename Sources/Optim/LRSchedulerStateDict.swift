/// A learning-rate scheduler's state, as `scheduler.state_dict()` records it: the epoch it is at, the base
/// learning rates it anneals from, the learning rates its last step set (`last_epoch`, `base_lrs`, `_last_lr`) and
/// the schedule's own settings by PyTorch's names (`step_size` and `gamma`; `T_max` and `eta_min`), which loading
/// restores too, as `load_state_dict` updates the scheduler's `__dict__`.
public struct LRSchedulerStateDict: Codable, Equatable, Sendable {
    public var lastEpoch: Int
    public var baseLRs: [Double]
    public var lastLR: [Double]
    public var settings: [String: Double]

    public init(lastEpoch: Int, baseLRs: [Double], lastLR: [Double], settings: [String: Double]) {
        self.lastEpoch = lastEpoch
        self.baseLRs = baseLRs
        self.lastLR = lastLR
        self.settings = settings
    }

    /// The setting `name`, which must be present.
    func setting(_ name: String) throws -> Double {
        guard let value = settings[name], value.isFinite else {
            throw OptimizerStateError("scheduler state has no \"\(name)\"")
        }
        return value
    }

    /// The setting `name` as a positive whole number (a step size, a period).
    func wholeSetting(_ name: String) throws -> Int {
        let value = try setting(name)
        guard value >= 1, value == value.rounded(), value < 1e9 else {
            throw OptimizerStateError("scheduler state: \(name) \(value) is not a positive whole number")
        }
        return Int(value)
    }

    /// Checks that the state fits a scheduler over `groups` parameter groups.
    func validate(groups: Int) throws {
        guard lastEpoch >= 0, baseLRs.count == groups, lastLR.count == groups else {
            throw OptimizerStateError(
                "scheduler state for \(baseLRs.count) parameter groups at epoch \(lastEpoch); the optimizer has "
                    + "\(groups) groups")
        }
    }
}
