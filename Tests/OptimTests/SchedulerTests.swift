import Foundation
import Optim
import Tensors
import Testing

/// Scheduler behaviour beyond the recorded sequences: chaining, hand-set learning rates, the closed form.
@Suite("Learning-rate schedulers")
struct SchedulerTests {
    @Test("the recursive cosine stays within 1e-6 relative of the closed form over three half periods")
    func cosineMatchesClosedForm() {
        let optimizer = SGD(groups: [
            ParamGroup(params: [Tensor(0)], lr: 0.1),
            ParamGroup(params: [Tensor(0)], lr: 0.003),
        ])
        let scheduler = CosineAnnealingLR(optimizer: optimizer, tMax: 12, etaMin: 1e-4)
        for epoch in 1...36 {
            scheduler.step()
            for (lr, base) in zip(scheduler.getLastLR(), scheduler.baseLRs) {
                let closed = scheduler.closedFormLR(baseLR: base, epoch: epoch)
                #expect(abs(lr - closed) <= 1e-6 * abs(closed), "epoch \(epoch): \(lr) vs closed form \(closed)")
            }
        }
    }

    @Test("StepLR decays the current lr, so a rate set by hand carries on (PyTorch's recursive get_lr)")
    func stepLRIsRecursive() {
        let optimizer = SGD(parameters: [Tensor(0)], lr: 1)
        let scheduler = StepLR(optimizer: optimizer, stepSize: 2, gamma: 0.5)
        scheduler.step()
        optimizer.paramGroups[0].lr = 0.1
        scheduler.step()
        #expect(optimizer.paramGroups[0].lr == 0.05)
        #expect(scheduler.baseLRs == [1])
    }

    @Test("a second scheduler keeps the initial_lr the first one recorded")
    func chainedSchedulersShareInitialLR() {
        let optimizer = SGD(parameters: [Tensor(0)], lr: 0.2)
        let first = StepLR(optimizer: optimizer, stepSize: 1, gamma: 0.5)
        first.step()
        let second = CosineAnnealingLR(optimizer: optimizer, tMax: 4)
        #expect(optimizer.initialLearningRates == [0.2])
        #expect(second.baseLRs == [0.2])
        #expect(second.getLastLR() == [0.1])
    }

    @Test("schedules with a non-positive period are refused")
    func invalidPeriods() async {
        await #expect(processExitsWith: .failure) {
            _ = StepLR(optimizer: SGD(parameters: [Tensor(0)]), stepSize: 0)
        }
        await #expect(processExitsWith: .failure) {
            _ = CosineAnnealingLR(optimizer: SGD(parameters: [Tensor(0)]), tMax: 0)
        }
    }
}
