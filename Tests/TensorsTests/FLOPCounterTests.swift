import Tensors
import Testing

/// The operation counts behind the benchmarks' achieved GFLOPS, by FlopCounterMode's rules
/// (torch/utils/flop_counter.py: `conv_flop_count`, `conv_backward_flop`, `addmm_flop`, `mm_flop`).
@Suite("FLOP counter")
struct FLOPCounterTests {
    @Test("conv2d counts 2 * N * O * Ho * Wo * (C / groups) * kh * kw forward, and that again per computed gradient")
    func convolution() {
        let input = Tensor.ones([2, 4, 9, 8], requiresGrad: false)
        let weight = Tensor.ones([6, 2, 3, 3], requiresGrad: true)
        let counter = FLOPCounter()
        let output = counter.count { conv2d(input, weight: weight, stride: 2, padding: 1, groups: 2) }
        #expect(output.shape == [2, 6, 5, 4])
        let forward = 2 * 2 * 6 * 5 * 4 * 2 * 3 * 3
        #expect(counter.total == forward)
        // Only the weight needs a gradient (output_mask [false, true]): one more forward's worth.
        counter.count { output.sum().backward() }
        #expect(counter.total == 2 * forward)
    }

    @Test("linear counts 2 * N * in * out forward and per computed gradient; nothing outside a count is counted")
    func linearLayer() {
        let input = Tensor.ones([3, 5], requiresGrad: true)
        let weight = Tensor.ones([7, 5], requiresGrad: true)
        let counter = FLOPCounter()
        let output = counter.count { linear(input, weight: weight, bias: Tensor.zeros([7])) }
        #expect(counter.total == 2 * 3 * 5 * 7)
        _ = linear(input, weight: weight)
        #expect(counter.total == 2 * 3 * 5 * 7)
        counter.count { output.sum().backward() }
        #expect(counter.total == 3 * 2 * 3 * 5 * 7)
    }
}
