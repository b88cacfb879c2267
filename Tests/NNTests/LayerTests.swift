import NN
import Tensors
import Testing

@Suite("Small layers")
struct LayerTests {
    @Test("Identity returns its input unchanged and passes the gradient through (torch.nn.Identity)")
    func identity() {
        let x = Tensor(shape: [2, 3], values: [1, -2, 3, -4, 5, -6], requiresGrad: true)
        let y = Identity()(x)
        #expect(y.shape == [2, 3] && y.toArray() == x.toArray())
        y.sum().backward()
        #expect(x.grad?.toArray() == [Float](repeating: 1, count: 6))
        #expect(Identity().stateDict().isEmpty)
    }

    @Test("Flatten merges start_dim...end_dim as torch.nn.Flatten, with start_dim 1 by default")
    func flatten() {
        let x = Tensor(shape: [2, 3, 4, 5], values: (0..<120).map(Float.init))
        #expect(Flatten()(x).shape == [2, 60])
        #expect(Flatten(startDim: 2)(x).shape == [2, 3, 20])
        #expect(Flatten(startDim: 0, endDim: 1)(x).shape == [6, 4, 5])
        #expect(Flatten()(x).toArray() == x.toArray())
        #expect(Flatten().extraDescription == "start_dim=1, end_dim=-1")
    }
}
