import Foundation
import Golden
import Kernels
import NN
import Tensors
import TestSupport
import Testing

/// The channels-last training path of BasicBlock ResNets (``ResNet/channelsLastStages(_:)``, and the functional
/// ops it is made of) against the same modules called one by one (``EvalFusion/disabled(_:)``): outputs, every
/// gradient, the running statistics, and the cases in which it must not engage.
@Suite("Channels-last training")
struct ChannelsLastTrainingTests {
    /// The two paths add the same products in another order (oneDNN's NHWC kernels against its blocked ones, and
    /// the batch-norm sums in Double across rows instead of planes); batch norm's backward in training mode then
    /// subtracts nearly equal terms, which leaves a few float32 steps of the largest value of a gradient. 1e-4 of
    /// the largest magnitude (about 800 ulps) plus 1e-4 relative leaves room for other CPUs' kernels, while a
    /// wrong layout or a lost term moves values by their own size.
    static func tolerance(for expected: Tensor, _ what: String) -> Tolerance {
        let scale = expected.toArray().map(abs).max() ?? 1
        return Tolerance(
            absolute: 1e-4 * max(scale, 1e-3), relative: 1e-4,
            reason: "\(what): the same sums in another float32 order (NHWC kernels against blocked ones)")
    }

    /// Two copies of one model, batch norms far from the identity.
    static func twins(baseChannels: Int) throws -> (ResNet, ResNet) {
        let a = resnet18(numClasses: 5, baseChannels: baseChannels)
        EvalFusionTests.randomizeBatchNorms(a)
        let b = resnet18(numClasses: 5, baseChannels: baseChannels)
        try b.loadStateDict(a.stateDict())
        return (a, b)
    }

    /// One cross-entropy step of `a` (on its own path) and `b` (module by module) on the same batch: the loss, the
    /// input gradient (with `inputGradient`), every parameter's gradient (present on both paths or on neither), the
    /// running statistics and `num_batches_tracked`. Returns the plan `a` ran with (nil on the reference backend,
    /// where the step is not compared).
    static func expectSameStep(
        _ a: ResNet, _ b: ResNet, size: [Int], inputGradient: Bool
    ) -> [Bool]? {
        let batch = max(4, Parallelism.cores)
        let values = EvalFusionTests.values(batch * 3 * size[0] * size[1], seed: 8)
        let target = (0..<batch).map { $0 % 5 }
        let plan = a.channelsLastTrainingPlan(forInput: [batch, 3, size[0], size[1]])
        guard KernelBackend.selected == .oneDNN else {
            #expect(plan == nil, "the reference backend runs module by module")
            return nil
        }
        #expect(plan?.count == 8)
        #expect(plan?.first == true, "plan \(String(describing: plan))")
        let xa = Tensor(shape: [batch, 3, size[0], size[1]], values: values, requiresGrad: inputGradient)
        let xb = Tensor(shape: [batch, 3, size[0], size[1]], values: values, requiresGrad: inputGradient)
        let lossA = crossEntropy(a(xa), target: target)
        let lossB = EvalFusion.disabled { crossEntropy(b(xb), target: target) }
        lossA.backward()
        lossB.backward()
        expectClose(lossA, lossB, "loss", tolerance: tolerance(for: lossB, "loss"))
        if inputGradient {
            expectClose(xa.grad!, xb.grad!, "input gradient", tolerance: tolerance(for: xb.grad!, "input gradient"))
        }
        let parametersB = Dictionary(uniqueKeysWithValues: b.namedParameters().map { ($0.0, $0.1) })
        for (name, parameter) in a.namedParameters() {
            let expected = parametersB[name]!.grad
            #expect((parameter.grad == nil) == (expected == nil), "\(name): a gradient on one path only")
            if let actual = parameter.grad, let expected {
                expectClose(actual, expected, "\(name).grad", tolerance: tolerance(for: expected, name))
            }
        }
        let buffersB = Dictionary(uniqueKeysWithValues: b.stateDict().map { ($0.key, $0.value) })
        for (key, value) in a.stateDict() where key.hasSuffix("running_mean") || key.hasSuffix("running_var") {
            expectClose(value, buffersB[key]!, key, tolerance: tolerance(for: buffersB[key]!, key))
        }
        #expect(a.bn1.numBatchesTracked == 1 && (a.layer1[0] as! BasicBlock).bn1.numBatchesTracked == 1)
        #expect(xa.toArray() == values, "the input is left as it was")
        return plan
    }

    /// The frozen-backbone steps: every parameter below fc frozen (batch norms in train mode, the post's variant),
    /// and the same with layer4 trained too.
    @Test(
        "a frozen-backbone resnet18 step channels-last equals module by module: loss, gradients, running statistics",
        arguments: [(16, [40, 36], false), (16, [40, 36], true), (64, [64, 64], true)])
    func frozenStep(baseChannels: Int, size: [Int], trainLayer4: Bool) throws {
        let (a, b) = try Self.twins(baseChannels: baseChannels)
        for model in [a, b] {
            for parameter in model.parameters() { parameter.requiresGrad = false }
            for parameter in model.fc.parameters() + (trainLayer4 ? model.layer4.parameters() : []) {
                parameter.requiresGrad = true
            }
        }
        _ = Self.expectSameStep(a, b, size: size, inputGradient: false)
    }

    @Test(
        "a resnet18 training step channels-last equals module by module: loss, every gradient, running statistics",
        arguments: [(16, [40, 36]), (24, [40, 36]), (64, [64, 64])])
    func trainingStep(baseChannels: Int, size: [Int]) throws {
        // 24 channels are not whole 16-channel blocks: oneDNN's own reorder into its padded blocked layout.
        let (a, b) = try Self.twins(baseChannels: baseChannels)
        let plan = Self.expectSameStep(a, b, size: size, inputGradient: true)
        if baseChannels == 64, let plan {
            // torchvision's widths at 64x64: layer3 (4x4 planes) and layer4 run on the plain path, as GEMMs.
            #expect(plan.last == false, "plan \(plan)")
        }
        #expect(a.parameters().allSatisfy { $0.grad != nil } || KernelBackend.selected != .oneDNN)
    }

    @Test("the stages alone, trained from layer2: only the trained blocks' gradients, eval-mode batch norms in layer1")
    func partlyFrozen() throws {
        let (a, b) = try Self.twins(baseChannels: 16)
        for model in [a, b] {
            for parameter in model.parameters() { parameter.requiresGrad = false }
            for parameter in model.layer2.parameters() + model.layer3.parameters() { parameter.requiresGrad = true }
            _ = model.layer1.eval()
        }
        let batch = max(4, Parallelism.cores)
        let shape = [batch, 16, 10, 9]
        let x = Tensor(shape: shape, values: EvalFusionTests.values(shape.reduce(1, *), seed: 3))
        if KernelBackend.selected == .oneDNN {
            // Frozen and trained blocks alike (narrow planes all run on the primitives).
            #expect(a.channelsLastTrainingPlan(forInput: [batch, 3, 40, 36]) == Array(repeating: true, count: 8))
        }
        guard let stagesA = a.channelsLastStages(x) else {
            #expect(KernelBackend.selected != .oneDNN, "the channels-last stages did not engage on oneDNN")
            return
        }
        let stagesB = EvalFusion.disabled { b.layer4(b.layer3(b.layer2(b.layer1(x)))) }
        #expect(stagesA.shape == stagesB.shape)
        expectClose(stagesA, stagesB, "layer4 output", tolerance: Self.tolerance(for: stagesB, "layer4 output"))
        stagesA.sum().backward()
        stagesB.sum().backward()
        let parametersB = Dictionary(uniqueKeysWithValues: b.namedParameters().map { ($0.0, $0.1) })
        for (name, parameter) in a.namedParameters() {
            let expected = parametersB[name]!.grad
            #expect((parameter.grad == nil) == (expected == nil), "\(name): a gradient on one path only")
            if let actual = parameter.grad, let expected {
                expectClose(actual, expected, "\(name).grad", tolerance: Self.tolerance(for: expected, name))
            }
        }
        #expect(a.layer4.parameters().allSatisfy { $0.grad == nil })
        #expect((a.layer1[0] as! BasicBlock).bn1.numBatchesTracked == 0, "layer1 is in eval mode")
    }

    @Test("conv2dChannelsLast and batchNormChannelsLast equal conv2d and batchNorm, gradients included")
    func functionalOps() {
        let batch = max(2, Parallelism.cores)
        let shape = [batch, 16, 9, 11]
        let values = EvalFusionTests.values(shape.reduce(1, *), seed: 5)
        let weightValues = EvalFusionTests.values(32 * 16 * 9, seed: 6).map { $0 * 0.2 }
        for stride in [1, 2] {
            let x = Tensor(shape: shape, values: values, requiresGrad: true)
            let xc = Tensor(shape: shape, values: values, requiresGrad: true)
            let w = Tensor(shape: [32, 16, 3, 3], values: weightValues, requiresGrad: true)
            let wc = Tensor(shape: [32, 16, 3, 3], values: weightValues, requiresGrad: true)
            guard let y = conv2dChannelsLast(channelsLast(x), weight: w, stride: IntPair(stride), padding: 1) else {
                #expect(KernelBackend.selected != .oneDNN, "conv2dChannelsLast refused a 3x3 convolution on oneDNN")
                return
            }
            let yc = conv2d(xc, weight: wc, stride: IntPair(stride), padding: 1)
            expectClose(
                channelsFirst(y), yc, "conv output stride \(stride)", tolerance: Self.tolerance(for: yc, "conv"))
            let mean = Tensor.zeros([32])
            let variance = Tensor.ones([32])
            let meanC = Tensor.zeros([32])
            let varianceC = Tensor.ones([32])
            let gamma = Tensor(shape: [32], values: EvalFusionTests.values(32, seed: 7).map { $0 + 1.5 })
            let beta = Tensor(shape: [32], values: EvalFusionTests.values(32, seed: 9))
            let z = batchNormChannelsLast(
                y, runningMean: mean, runningVar: variance, weight: gamma, bias: beta, training: true)
            let zc = batchNorm(yc, runningMean: meanC, runningVar: varianceC, weight: gamma, bias: beta, training: true)
            expectClose(channelsFirst(z), zc, "batch norm output", tolerance: Self.tolerance(for: zc, "batch norm"))
            expectClose(mean, meanC, "running mean", tolerance: Self.tolerance(for: meanC, "running mean"))
            expectClose(variance, varianceC, "running var", tolerance: Self.tolerance(for: varianceC, "running var"))
            // A loss that weighs every position differently, so that a transposed gradient cannot pass.
            let weights = EvalFusionTests.values(zc.count, seed: 11)
            (channelsFirst(z) * Tensor(shape: zc.shape, values: weights)).sum().backward()
            (zc * Tensor(shape: zc.shape, values: weights)).sum().backward()
            expectClose(x.grad!, xc.grad!, "input gradient", tolerance: Self.tolerance(for: xc.grad!, "input grad"))
            expectClose(w.grad!, wc.grad!, "weight gradient", tolerance: Self.tolerance(for: wc.grad!, "weight grad"))
        }
    }

    @Test("not engaged: fusion disabled, recorders, Bottleneck models, a batch below the cores, the reference path")
    func notEngaged() {
        let model = resnet18(numClasses: 3, baseChannels: 16)
        let batch = max(2, Parallelism.cores)
        let x = Tensor(shape: [batch, 16, 10, 10], values: EvalFusionTests.values(batch * 1600, seed: 4))
        guard KernelBackend.selected == .oneDNN else {
            #expect(model.channelsLastStages(x) == nil)
            return
        }
        for parameter in model.parameters() { parameter.requiresGrad = false }
        #expect(model.channelsLastStages(x) != nil)
        #expect(EvalFusion.disabled { model.channelsLastStages(x) } == nil)
        let recorder = ForwardRecorder(root: model)
        #expect(recorder.recording { model.channelsLastStages(x) } == nil)
        if Parallelism.cores > 1 {
            let one = Tensor(shape: [1, 16, 10, 10], values: EvalFusionTests.values(1600, seed: 5))
            #expect(model.channelsLastStages(one) == nil)
        }
        let bottleneck = resnet50(numClasses: 3, baseChannels: 4)
        #expect(bottleneck.channelsLastTrainingPlan(forInput: [batch, 3, 40, 40]) == nil)
    }
}
