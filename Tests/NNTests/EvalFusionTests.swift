import Foundation
import Golden
import Kernels
import NN
import Tensors
import TestSupport
import Testing

/// Evaluation-mode fusion (conv -> batch norm [-> relu] as one convolution) against the same modules called one
/// by one (``EvalFusion/disabled(_:)``), and the cases in which it must not engage.
@Suite("Eval-mode conv + batch norm + ReLU fusion")
struct EvalFusionTests {
    /// Deterministic values in [-1, 1) from an index (a hashed sine, no shared random state).
    static func values(_ count: Int, seed: Double) -> [Float] {
        (0..<count).map { i in
            let v = sin(Double(i) * 12.9898 + seed * 78.233) * 43758.5453
            return Float(2 * (v - v.rounded(.down)) - 1)
        }
    }

    /// Folding re-rounds each weight (`w * s`) and applies the scale before the sum instead of after, so the fused
    /// result differs from the chain by float32 rounding of sums of the same products, measured here at a few ulps
    /// of the largest activation; 1e-5 of the largest magnitude (about 80 ulps) plus 1e-5 relative leaves room for
    /// other CPUs' kernels without hiding a wrong fold, which moves values by the size of the batch-norm shift.
    static func tolerance(for expected: Tensor) -> Tolerance {
        let scale = expected.toArray().map(abs).max() ?? 1
        return Tolerance(
            absolute: 1e-5 * max(scale, 1), relative: 1e-5,
            reason: "batch norm folded into the convolution: the same float32 sums, scaled before instead of after")
    }

    /// Running statistics and affine parameters far from the identity, so that a wrong fold cannot pass.
    static func randomizeBatchNorms(_ model: Module) {
        var seed = 1.0
        for (_, module) in model.namedModules() {
            guard let bn = module as? BatchNorm2d else { continue }
            let c = bn.numFeatures
            bn.runningMean!.assign(Tensor(shape: [c], values: values(c, seed: seed).map { $0 * 0.5 }))
            bn.runningVar!.assign(Tensor(shape: [c], values: values(c, seed: seed + 0.5).map { 0.5 + abs($0) }))
            bn.weight!.assign(Tensor(shape: [c], values: values(c, seed: seed + 0.25).map { 0.5 + $0 }))
            bn.bias!.assign(Tensor(shape: [c], values: values(c, seed: seed + 0.75).map { $0 * 0.3 }))
            seed += 1
        }
    }

    @Test("resnet18 and resnet50 in eval mode: fused logits equal the module-by-module forward", arguments: [18, 50])
    func wholeModel(depth: Int) {
        let model = depth == 18 ? resnet18(numClasses: 7, baseChannels: 8) : resnet50(numClasses: 7, baseChannels: 4)
        Self.randomizeBatchNorms(model)
        _ = model.eval()
        let x = Tensor(shape: [3, 3, 40, 36], values: Self.values(3 * 3 * 40 * 36, seed: 9))
        let fused = noGrad { model(x) }
        let chain = EvalFusion.disabled { noGrad { model(x) } }
        expectClose(fused, chain, "resnet\(depth) eval logits fused vs chain", tolerance: Self.tolerance(for: chain))
    }

    @Test("conv2dBatchNormEval with a conv bias, groups, stride and relu on and off equals the three ops")
    func functional() {
        let (n, c, o, h, w) = (2, 6, 9, 11, 10)
        let input = Tensor(shape: [n, c, h, w], values: Self.values(n * c * h * w, seed: 1))
        let weight = Tensor(shape: [o, c / 3, 3, 3], values: Self.values(o * c / 3 * 9, seed: 2))
        let bias = Tensor(shape: [o], values: Self.values(o, seed: 3))
        let mean = Tensor(shape: [o], values: Self.values(o, seed: 4))
        let variance = Tensor(shape: [o], values: Self.values(o, seed: 5).map { 0.2 + abs($0) })
        let gamma = Tensor(shape: [o], values: Self.values(o, seed: 6).map { $0 * 2 })
        let beta = Tensor(shape: [o], values: Self.values(o, seed: 7))
        for relu in [false, true] {
            let fused = conv2dBatchNormEval(
                input, weight: weight, bias: bias, stride: 2, padding: 1, groups: 3, runningMean: mean,
                runningVar: variance, bnWeight: gamma, bnBias: beta, eps: 1e-3, relu: relu)
            var chain = batchNorm(
                conv2d(input, weight: weight, bias: bias, stride: 2, padding: 1, groups: 3), runningMean: mean,
                runningVar: variance, weight: gamma, bias: beta, training: false, eps: 1e-3)
            if relu { chain = Tensors.relu(chain) }
            expectClose(fused, chain, "fused relu \(relu)", tolerance: Self.tolerance(for: chain))
        }
    }

    @Test("no fusion where it would change what is observed: train mode, gradients, forward recorders")
    func notEngaged() {
        let model = resnet18(numClasses: 3, baseChannels: 4)
        Self.randomizeBatchNorms(model)
        _ = model.eval()
        let x = Tensor(shape: [2, 3, 32, 32], values: Self.values(2 * 3 * 32 * 32, seed: 3))
        // Gradients needed (parameters require grad, grad mode on): the graph runs through every module.
        let out = model(x)
        #expect(!out.isLeaf)
        // A recorder sees each batch norm's own output.
        let recorder = ForwardRecorder(root: model)
        _ = noGrad { recorder.recording { model(x) } }
        #expect(recorder.outputs.map(\.name).contains("layer2.0.bn2"))
        #expect(recorder.outputs.map(\.name).contains("layer2.0.downsample.1"))
        // Train mode: batch statistics, running statistics updated as before.
        _ = model.train()
        let before = model.bn1.runningMean!.toArray()
        _ = noGrad { model(x) }
        #expect(model.bn1.runningMean!.toArray() != before)
    }
}

/// Bit-for-bit equality, without printing both tensors when it fails.
enum PreparedBits {
    static func same(_ a: Tensor, _ b: Tensor) -> Bool { a.toArray() == b.toArray() }
}

/// The folded weights an eval-mode layer keeps between inference calls (``ConvBatchNormFolding``) follow every
/// change of what they were folded from.
@Suite("Eval-mode fusion: kept folds follow their sources")
struct EvalFoldingCacheTests {
    static func check(
        _ model: Module, _ x: Tensor, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    )
        -> Tensor
    {
        let fused = noGrad { model(x) }
        let chain = EvalFusion.disabled { noGrad { model(x) } }
        expectClose(
            fused, chain, what, tolerance: EvalFusionTests.tolerance(for: chain), sourceLocation: sourceLocation)
        return fused
    }

    @Test("a second call reuses the fold; weight, batch-norm and running-statistics changes refold", arguments: [1, 3])
    func followsChanges(batch: Int) {
        let model = resnet18(numClasses: 5, baseChannels: 16)
        EvalFusionTests.randomizeBatchNorms(model)
        _ = model.eval()
        let x = Tensor(shape: [batch, 3, 48, 48], values: EvalFusionTests.values(batch * 3 * 48 * 48, seed: 11))
        let first = Self.check(model, x, "first fused call")
        let again = noGrad { model(x) }
        #expect(PreparedBits.same(again, first), "the kept fold must give the same bits")

        // An optimizer step writes parameters in place.
        (model.layer1[0] as! BasicBlock).conv1.weight.withUnsafeMutableBufferPointer { w in
            for i in w.indices { w[i] *= -1.5 }
        }
        let stepped = Self.check(model, x, "after an in-place conv weight change")
        #expect(!PreparedBits.same(stepped, first), "the change must show")

        // load_state_dict copies into the batch norm's parameters.
        let bn = (model.layer2[1] as! BasicBlock).bn2
        bn.bias!.assign(Tensor(shape: bn.bias!.shape, values: EvalFusionTests.values(bn.numFeatures, seed: 12)))
        let loaded = Self.check(model, x, "after a batch-norm bias assign")
        #expect(!PreparedBits.same(loaded, stepped), "the change must show")

        // A train-mode forward updates the running statistics in place.
        _ = model.train()
        _ = noGrad { model(Tensor(shape: [2, 3, 48, 48], values: EvalFusionTests.values(2 * 3 * 48 * 48, seed: 13))) }
        _ = model.eval()
        let retrained = Self.check(model, x, "after a train-mode forward")
        #expect(!PreparedBits.same(retrained, loaded), "the change must show")
    }
}

/// The channels-last feature path (``ResNet/channelsLastFeatures(_:)``): engaged on the oneDNN backend for BasicBlock
/// models in evaluation-mode inference, equal to the module-by-module chain within the fusion tolerance, and never
/// where it would change what is observed.
@Suite("Eval-mode channels-last features")
struct ChannelsLastFeaturesTests {
    /// (base channels, input size): narrow models run channels-last to the pool; torchvision's widths at 32x32
    /// switch to the plain path at layer3 (its 2x2 planes run as GEMMs there), through ``channelsFirst(_:)``.
    @Test(
        "resnet18 features channels-last equal the module-by-module chain",
        arguments: [(8, [40, 36]), (16, [40, 36]), (64, [32, 32])])
    func equalsChain(baseChannels: Int, size: [Int]) {
        let model = resnet18(numClasses: 5, baseChannels: baseChannels)
        EvalFusionTests.randomizeBatchNorms(model)
        _ = model.eval()
        let batch = max(3, Parallelism.cores)
        let values = EvalFusionTests.values(batch * 3 * size[0] * size[1], seed: 21)
        let x = Tensor(shape: [batch, 3, size[0], size[1]], values: values)
        let plan = noGrad { model.channelsLastPlan(forInput: x.shape) }
        let channelsLast = noGrad { model.channelsLastFeatures(x) }
        guard KernelBackend.selected == .oneDNN else {
            #expect(channelsLast == nil, "the reference backend runs module by module")
            return
        }
        guard let channelsLast else {
            Issue.record("the channels-last path did not engage for resnet18 on the oneDNN backend")
            return
        }
        // Narrow models run every block channels-last; torchvision's widths at 32x32 switch to the plain path.
        #expect(plan?.count == 8)
        if baseChannels < 64 {
            #expect(plan == Array(repeating: true, count: 8), "plan \(String(describing: plan))")
        } else {
            #expect(plan?.first == true && plan?.last == false, "plan \(String(describing: plan))")
        }
        let chain = EvalFusion.disabled { noGrad { model.features(x) } }
        expectClose(
            channelsLast, chain, "resnet18 (base \(baseChannels)) channels-last features vs chain",
            tolerance: EvalFusionTests.tolerance(for: chain))
        #expect(x.toArray() == values, "the input is left as it was")
        // The logits go through it too.
        let logits = noGrad { model(x) }
        let chainLogits = EvalFusion.disabled { noGrad { model(x) } }
        expectClose(logits, chainLogits, "logits", tolerance: EvalFusionTests.tolerance(for: chainLogits))
    }

    @Test("not engaged: train mode, gradients, recorders, fusion disabled, Bottleneck models, a batch below the cores")
    func notEngaged() {
        let model = resnet18(numClasses: 3, baseChannels: 8)
        _ = model.eval()
        let batch = max(2, Parallelism.cores)
        let x = Tensor(shape: [batch, 3, 32, 32], values: EvalFusionTests.values(batch * 3 * 32 * 32, seed: 4))
        #expect(model.channelsLastFeatures(x) == nil, "parameters require grad with grad mode on")
        #expect(model.channelsLastPlan(forInput: x.shape) == nil)
        // One block's batch norm in train mode: that block and the rest run on the plain path, decided up front.
        if KernelBackend.selected == .oneDNN {
            (model.layer3[0] as! BasicBlock).bn1.train()
            #expect(
                noGrad { model.channelsLastPlan(forInput: x.shape) } == [true, true, true, true]
                    + Array(repeating: false, count: 4))
            _ = model.eval()
        }
        #expect(EvalFusion.disabled { noGrad { model.channelsLastFeatures(x) } } == nil)
        let recorder = ForwardRecorder(root: model)
        #expect(noGrad { recorder.recording { model.channelsLastFeatures(x) } } == nil)
        let one = Tensor(shape: [1, 3, 32, 32], values: EvalFusionTests.values(3 * 32 * 32, seed: 5))
        if Parallelism.cores > 1 { #expect(noGrad { model.channelsLastFeatures(one) } == nil) }
        let bottleneck = resnet50(numClasses: 3, baseChannels: 4)
        _ = bottleneck.eval()
        #expect(noGrad { bottleneck.channelsLastFeatures(x) } == nil)
        _ = model.train()
        #expect(noGrad { model.channelsLastFeatures(x) } == nil)
    }
}
