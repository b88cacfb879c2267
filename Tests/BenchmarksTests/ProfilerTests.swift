import Kernels
import NN
import Tensors
import Testing

/// Attribution, not timing: which entries a profiled step records and under which module names.
@Suite("module profiler and allocation counters")
struct ProfilerTests {
    @Test("forward entries per module and backward entries per autograd node, named by module path")
    func attribution() {
        ManualSeed.set(0)
        let model = Sequential(
            Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: IntPair(1), bias: false),
            BatchNorm2d(numFeatures: 4), ReLU(), Flatten(), Linear(inFeatures: 4 * 8 * 8, outFeatures: 2))
        let input = Tensor.ones([2, 3, 8, 8])
        let profiler = ModuleProfiler(root: model)
        profiler.profiling {
            let loss = Profiler.scope("(loss)", op: "crossEntropy") { crossEntropy(model(input), target: [0, 1]) }
            loss.backward()
        }
        let keys = Set(profiler.profiler.entries.keys.map { "\($0.scope) \($0.phase.rawValue) \($0.op)" })
        for expected in [
            "(root) forward Sequential", "0 forward Conv2d", "1 forward BatchNorm2d", "2 forward ReLU",
            "4 forward Linear", "(loss) forward crossEntropy", "0 backward ConvolutionBackward",
            "2 backward ReluBackward", "4 backward AddmmBackward", "0 backward AccumulateGrad",
        ] {
            #expect(keys.contains(expected), "no entry \(expected) in \(keys.sorted())")
        }
        #expect(!keys.contains { $0.hasPrefix(Profiler.outsideScopes) }, "every node was created inside a scope")
        // One call per module and node; the bookkeeping entry counts every node of its scope.
        let calls = profiler.profiler.entries.filter { $0.key.op != Profiler.gradientAccumulation }.map(\.value.calls)
        #expect(calls.allSatisfy { $0 == 1 }, "\(calls)")
        // Outside `profiling`, nothing is recorded and modules run as before.
        profiler.profiler.reset()
        _ = model(input)
        #expect(profiler.profiler.entries.isEmpty)
    }

    @Test("a module called twice counts two calls under one entry")
    func repeatedModule() {
        let relu = ReLU()
        let model = Sequential(relu, relu)
        let profiler = ModuleProfiler(root: model)
        profiler.profiling { _ = model(Tensor.ones([4])) }
        #expect(profiler.profiler.entries[Profiler.Key(scope: "0", phase: .forward, op: "ReLU")]?.calls == 2)
    }

    @Test("every float buffer is counted, with its bytes")
    func allocationCounters() {
        let start = AllocationStatistics.snapshot()
        let tensor = Tensor.zeros([1000])
        let after = AllocationStatistics.snapshot()
        // Other tests allocate concurrently, so this run's buffer is a lower bound.
        #expect(after.allocations - start.allocations >= 1)
        #expect(after.bytes - start.bytes >= 4000)
        #expect(tensor.count == 1000)
        let step = AllocationStatistics.Snapshot(allocations: 10, bytes: 400, liveBytes: 150, peakLiveBytes: 300)
            .since(.init(allocations: 4, bytes: 100, liveBytes: 100, peakLiveBytes: 100))
        #expect(step == .init(allocations: 6, bytes: 300, liveBytes: 50, peakLiveBytes: 200))
    }
}
