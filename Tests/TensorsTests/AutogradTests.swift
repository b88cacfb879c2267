import Kernels
import Tensors
import Testing

@Suite("Autograd")
struct AutogradTests {
    @Test("gradients accumulate over backward calls until zeroGrad sets them to nil")
    func accumulation() {
        let x = Tensor(shape: [3], values: [1, 2, 3], requiresGrad: true)
        (x * x).sum().backward()
        #expect(x.grad?.toArray() == [2, 4, 6])
        (x * x).sum().backward()
        #expect(x.grad?.toArray() == [4, 8, 12])
        x.zeroGrad()
        #expect(x.grad == nil)
    }

    @Test("a tensor used twice receives the sum of both paths")
    func sharedInput() {
        let x = Tensor(shape: [2], values: [3, -1], requiresGrad: true)
        let y = (x + x * x).sum()
        y.backward()
        #expect(x.grad?.toArray() == [7, -1])
        #expect(y.gradFnName == "SumBackward")
    }

    @Test("inside noGrad nothing is recorded")
    func noGradScope() {
        let w = Tensor(shape: [2, 2], values: [1, 2, 3, 4], requiresGrad: true)
        let x = Tensor(shape: [1, 2], values: [1, 1])
        let y = noGrad { linear(x, weight: w) }
        #expect(!y.requiresGrad)
        #expect(y.gradFnName == nil)
        #expect(GradMode.isEnabled)
        #expect(noGrad { GradMode.isEnabled } == false)
    }

    @Test("an op whose inputs need no gradient records nothing")
    func nothingRecordedWithoutGrad() {
        let x = Tensor.ones([1, 2, 4, 4])
        let w = Tensor.ones([3, 2, 3, 3])
        let y = relu(conv2d(x, weight: w, padding: 1))
        #expect(y.gradFnName == nil)
        #expect(!y.requiresGrad)
    }

    @Test("only inputs that require grad receive gradients (frozen input, trainable weight)")
    func partialGradients() {
        let x = Tensor(shape: [1, 1, 3, 3], values: (0..<9).map(Float.init))
        let w = Tensor.ones([2, 1, 2, 2], requiresGrad: true)
        let b = Tensor.zeros([2])
        conv2d(x, weight: w, bias: b).sum().backward()
        #expect(x.grad == nil)
        #expect(b.grad == nil)
        // d(sum)/dw[o, 0, i, j] = sum of the input values each kernel tap sees.
        #expect(w.grad?.toArray() == [8, 12, 20, 24, 8, 12, 20, 24])
    }

    @Test("backward without a gradient on a non-scalar output is refused; with one it flows")
    func explicitGradient() {
        let x = Tensor(shape: [2], values: [1, -2], requiresGrad: true)
        let y = relu(x)
        y.backward(gradient: Tensor(shape: [2], values: [5, 7]))
        #expect(x.grad?.toArray() == [5, 0])
    }

    @Test("detach cuts the graph and shares storage")
    func detachSharesStorage() {
        let x = Tensor(shape: [2], values: [1, 2], requiresGrad: true)
        let y = x * 2
        let d = y.detach()
        #expect(!d.requiresGrad)
        d.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(y.toArray() == [10, 4])
    }
}

@Suite("Saved tensors")
struct SavedTensorTests {
    @Test("backward() frees each node's saved tensors once its backward has run, while the loss and graph live")
    func savedTensorsFreedByBackward() async {
        // Counted in a process of its own, where no other test allocates at the same time.
        await #expect(processExitsWith: .success) {
            let count = 1 << 20
            let x = Tensor.ones([count], requiresGrad: true)
            let start = AllocationStatistics.snapshot().liveBytes
            // Each relu saves its output (ReLU's backward needs only that): two tensors of `count` floats.
            let loss = relu(relu(x * 2)).sum()
            let forward = AllocationStatistics.snapshot().liveBytes - start
            loss.backward()
            let after = AllocationStatistics.snapshot().liveBytes - start
            let (tensorBytes, gradBytes) = (count * 4, x.grad!.count * 4)
            guard forward >= 2 * tensorBytes else {
                fatalError("forward holds \(forward) bytes, expected two saved outputs")
            }
            // Left after backward: x.grad and the 0-d loss; a saved output still held would be 4 MiB more.
            guard after < gradBytes + tensorBytes else {
                fatalError("\(after) bytes live after backward with the loss alive; x.grad is \(gradBytes)")
            }
            withExtendedLifetime(loss) {}
        }
    }

    @Test("a second backward through the same graph is refused with PyTorch's error")
    func secondBackward() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor(shape: [2], values: [1, -2], requiresGrad: true)
            let loss = relu(x).sum()
            loss.backward()
            loss.backward()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Trying to backward through the graph a second time"))
    }
}

@Suite("Gradient accumulation into leaves")
struct AccumulateGradTests {
    @Test("a leaf's first gradient is kept as backward made it, not copied (PyTorch's AccumulateGrad steals it)")
    func firstGradientNotCopied() async {
        // Counted in a process of its own, where no other test allocates at the same time.
        await #expect(processExitsWith: .success) {
            let w = Tensor.ones([1 << 16], requiresGrad: true)
            func backwardAllocations() -> Int {
                let loss = (w * 3).sum()
                let start = AllocationStatistics.snapshot()
                loss.backward()
                return AllocationStatistics.snapshot().since(start).allocations
            }
            // The first backward sets .grad, the second adds into it in place: a copy would be one more buffer.
            let (first, second) = (backwardAllocations(), backwardAllocations())
            guard first == second else { fatalError("first backward made \(first) buffers, the second \(second)") }
            guard w.grad!.toArray().allSatisfy({ $0 == 6 }) else { fatalError("wrong gradient \(w.grad!)") }
        }
    }

    @Test("a gradient that something else still holds is copied: .grad never aliases it")
    func sharedGradientsCopied() {
        // The caller's gradient, passed through a view's backward unchanged.
        let w = Tensor.zeros([4], requiresGrad: true)
        let g = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        w.reshape([2, 2]).backward(gradient: g)
        g.withUnsafeMutableBufferPointer { $0.update(repeating: 100) }
        #expect(w.grad?.toArray() == [1, 2, 3, 4])
        w.reshape([2, 2]).backward(gradient: Tensor.ones([2, 2]))
        #expect(g.toArray() == [100, 100, 100, 100])

        // One gradient object handed to two leaves (an addition's backward passes it to both).
        let a = Tensor.zeros([3], requiresGrad: true)
        let b = Tensor.zeros([3], requiresGrad: true)
        (a + b).sum().backward()
        a.grad!.withUnsafeMutableBufferPointer { $0.update(repeating: 7) }
        #expect(b.grad?.toArray() == [1, 1, 1])
        (a + b).sum().backward()
        #expect(a.grad?.toArray() == [8, 8, 8])
        #expect(b.grad?.toArray() == [2, 2, 2])
    }
}

@Suite("Grad mode")
struct GradModeTests {
    @Test("enableGrad records again inside noGrad, as torch.enable_grad() does inside torch.no_grad()")
    func enableGradInsideNoGrad() {
        let x = Tensor(shape: [3], values: [1, 2, 3], requiresGrad: true)
        let (outside, inside) = noGrad { ((x * x).requiresGrad, enableGrad { (x * x).requiresGrad }) }
        #expect(!outside)
        #expect(inside)
        #expect(GradMode.isEnabled)
        let y = noGrad { enableGrad { (x * x).sum() } }
        y.backward()
        #expect(x.grad?.toArray() == [2, 4, 6])
    }
}

@Suite("Manual seed")
struct ManualSeedTests {
    @Test("withSeed gives set(seed)'s streams, and other tasks' draws do not advance it")
    func scopedSequence() async {
        let scoped = ManualSeed.withSeed(7) { (0..<3).map { _ in ManualSeed.nextStream("w").symmetric(4, bound: 1) } }
        ManualSeed.set(7)
        let global = (0..<3).map { _ in ManualSeed.nextStream("w").symmetric(4, bound: 1) }
        #expect(scoped == global)
        // Draws from the process-wide sequence on other tasks, while a scoped block draws.
        let isolated = await withTaskGroup(of: [[Float]]?.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<200 { _ = ManualSeed.nextStream("noise") }
                    return nil
                }
            }
            group.addTask {
                ManualSeed.withSeed(7) { (0..<3).map { _ in ManualSeed.nextStream("w").symmetric(4, bound: 1) } }
            }
            var result: [[Float]] = []
            for await value in group { if let value { result = value } }
            return result
        }
        #expect(isolated == global)
    }
}
