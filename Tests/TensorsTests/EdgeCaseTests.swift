import Tensors
import Testing

/// Behaviour at the edges that PyTorch defines and op references with ordinary values do not reach.
@Suite("Edge cases as PyTorch defines them")
struct EdgeCaseTests {
    @Test("relu keeps NaN and passes its gradient, as torch.relu does")
    func reluNaN() {
        let x = Tensor(shape: [3], values: [.nan, -1, 2], requiresGrad: true)
        let y = relu(x)
        #expect(y.toArray()[0].isNaN && y.toArray()[1] == 0 && y.toArray()[2] == 2)
        y.backward(gradient: Tensor(shape: [3], values: [5, 6, 7]))
        #expect(x.grad?.toArray() == [5, 0, 7])
    }

    @Test("max pooling propagates NaN and routes its gradient to the NaN, as torch.max_pool2d does")
    func maxPoolNaN() {
        let x = Tensor(shape: [1, 1, 3, 3], values: [.nan, 1, 2, 3, 4, 5, 6, 7, 8], requiresGrad: true)
        let y = maxPool2d(x, kernelSize: 2, stride: 1)
        let values = y.toArray()
        #expect(values[0].isNaN && Array(values[1...]) == [5, 7, 8])
        y.backward(gradient: Tensor.ones([1, 1, 2, 2]))
        #expect(x.grad?.toArray() == [1, 0, 0, 0, 0, 1, 0, 1, 1])
    }

    @Test("a pooling window lying wholly in the padding yields -inf and no gradient")
    func windowInPadding() {
        let x = Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4], requiresGrad: true)
        let y = maxPool2d(x, kernelSize: 2, stride: 1, padding: 1, dilation: 3)
        #expect(y.toArray().allSatisfy { $0 == -.infinity })
        y.backward(gradient: Tensor.ones(y.shape))
        #expect(x.grad?.toArray() == [0, 0, 0, 0])
    }

    @Test("inputs smaller than the kernel, and zero strides, stop with a message instead of a 1x1 output")
    func tooSmall() async {
        await #expect(processExitsWith: .failure) {
            _ = conv2d(Tensor.ones([1, 1, 2, 2]), weight: Tensor.ones([1, 1, 3, 3]), stride: 2)
        }
        await #expect(processExitsWith: .failure) {
            _ = maxPool2d(Tensor.ones([1, 1, 2, 2]), kernelSize: 3, stride: 2)
        }
        await #expect(processExitsWith: .failure) {
            _ = conv2d(Tensor.ones([1, 1, 4, 4]), weight: Tensor.ones([1, 1, 3, 3]), stride: 0)
        }
    }

    @Test("a .grad of the wrong size is refused before anything is written into it")
    func wrongGradSize() async {
        await #expect(processExitsWith: .failure) {
            let x = Tensor(shape: [4], values: [1, 2, 3, 4], requiresGrad: true)
            x.grad = Tensor.zeros([1])
            (x * x).sum().backward()
        }
    }

    @Test("intermediate tensors are not kept alive by the graph: only what backward needs is")
    func graphHoldsNoIntermediates() {
        let w = Tensor(shape: [2], values: [1, 2], requiresGrad: true)
        weak var intermediate: Tensor?
        let loss: Tensor = {
            let hidden = w * 3
            intermediate = hidden
            return (hidden + w).sum()
        }()
        #expect(intermediate == nil)
        loss.backward()
        #expect(w.grad?.toArray() == [4, 4])
    }
}

@Suite("In-place changes and autograd")
struct VersionCounterTests {
    @Test("a saved weight changed in place between forward and backward is refused, as PyTorch refuses it")
    func modifiedSavedTensor() async {
        await #expect(processExitsWith: .failure) {
            let w = Tensor(shape: [1, 2], values: [1, 2], requiresGrad: true)
            let y = linear(Tensor(shape: [1, 2], values: [3, 4]), weight: w).sum()
            w.withUnsafeMutableBufferPointer { $0[0] = 5 }
            y.backward()
        }
    }

    @Test("changing a tensor after backward, as an optimizer step does, is fine")
    func modifiedAfterBackward() {
        let w = Tensor(shape: [1, 2], values: [1, 2], requiresGrad: true)
        linear(Tensor(shape: [1, 2], values: [3, 4]), weight: w).sum().backward()
        w.withUnsafeMutableBufferPointer { $0[0] -= 0.1 * w.grad!.toArray()[0] }
        linear(Tensor(shape: [1, 2], values: [3, 4]), weight: w).sum().backward()
        #expect(w.grad?.toArray() == [6, 8])
    }
}
