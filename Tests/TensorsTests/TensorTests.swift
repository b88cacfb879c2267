import Tensors
import Testing

@Suite("Tensor basics")
struct TensorTests {
    @Test("shape, count, item and factories")
    func basics() {
        let t = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(t.count == 6 && t.rank == 2 && t.size(-1) == 3)
        #expect(Tensor(4).item() == 4)
        #expect(Tensor.zeros([2]).toArray() == [0, 0])
        #expect(Tensor.full([1, 2], 7).toArray() == [7, 7])
    }

    @Test("reshape infers -1 and shares storage; flatten merges the given dimensions")
    func reshapeAndFlatten() {
        let t = Tensor(shape: [2, 3, 2], values: (0..<12).map(Float.init))
        #expect(t.reshape([-1, 4]).shape == [3, 4])
        #expect(t.flatten(startDim: 1).shape == [2, 6])
        #expect(t.flatten().shape == [12])
        #expect(t.flatten(startDim: 0, endDim: 1).shape == [6, 2])
    }

    @Test("conv2d with groups splits channels; output size follows PyTorch's formula")
    func convShapes() {
        let x = Tensor.ones([2, 4, 9, 7])
        let w = Tensor.ones([6, 2, 3, 3])
        let y = conv2d(x, weight: w, stride: IntPair(2, 1), padding: 1, dilation: 1, groups: 2)
        #expect(y.shape == [2, 6, 5, 7])
        // Interior pixel: 2 channels x 9 taps of ones.
        #expect(y.toArray()[1 * 7 + 3] == 18)
    }
}
