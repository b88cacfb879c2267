import Foundation
import Kernels
import Tensors
import TestSupport
import Testing

/// Reordered weights kept between calls (``PreparedWeights``): the same values as reordering on every call, and
/// never stale once the weights change.
@Suite("Prepared (kept reordered) convolution weights")
struct PreparedWeightsTests {
    /// Deterministic values in [-1, 1) from an index.
    static func values(_ count: Int, seed: Double) -> [Float] {
        (0..<count).map { i in
            let v = sin(Double(i) * 12.9898 + seed * 78.233) * 43758.5453
            return Float(2 * (v - v.rounded(.down)) - 1)
        }
    }

    /// Bit-for-bit equality, without printing both tensors when it fails.
    static func same(_ a: Tensor, _ b: Tensor) -> Bool { a.toArray() == b.toArray() }

    /// Batch 1 splits the output channels between the cores (one copy per slice), batch 4 the images (one copy).
    /// On the direct kernels: with Winograd allowed, kept weights may take Winograd's transformed layout, which a
    /// per-call reorder never does (too slow to make on every call) - another algorithm, with other bits, held to
    /// the reference path in WinogradConvolutionTests.
    @Test("a kept copy gives the bits of a per-call reorder, and is made once", arguments: [1, 4])
    func sameBitsAsPerCall(batch: Int) {
        Convolution.$winogradAllowed.withValue(false) { sameBitsAsPerCallDirect(batch: batch) }
    }

    func sameBitsAsPerCallDirect(batch: Int) {
        let g = ConvGeometry(
            batch: batch, inChannels: 32, height: 14, width: 13, outChannels: 64, kernelHeight: 3, kernelWidth: 3,
            strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1)
        let x = Self.values(batch * 32 * 14 * 13, seed: 1)
        let w = Self.values(64 * 32 * 9, seed: 2)
        let b = Self.values(64, seed: 3)
        let workspace = Workspace()
        func run(_ prepared: PreparedWeights?) -> [Float] {
            var y = [Float](repeating: .nan, count: batch * 64 * 14 * 13)
            y.withUnsafeMutableBufferPointer { out in
                Convolution.forward(
                    input: x, weight: w, bias: b, output: out.baseAddress!, geometry: g, workspace: workspace,
                    relu: true, prepared: prepared)
            }
            return y
        }
        let perCall = run(nil)
        let prepared = PreparedWeights()
        let first = run(prepared)
        let copies = prepared.count
        let second = run(prepared)
        #expect(first == perCall, "kept copies must give the per-call reorder's bits")
        #expect(second == perCall, "reused copies must give the per-call reorder's bits")
        #expect(prepared.count == copies, "a second call must reuse the copies, not make more")
        if KernelBackend.selected == .oneDNN {
            // oneDNN's primitive runs this shape (ConvolutionPrimitive.preferred), so its weights were kept.
            #expect(copies >= 1)
            #expect(prepared.floats >= 64 * 32 * 9)
        }
    }

    @Test("a frozen weight changed in place, or a new weight, is never served from an old copy", arguments: [1, 4])
    func frozenWeightChanges(batch: Int) {
        let x = Tensor(shape: [batch, 32, 12, 12], values: Self.values(batch * 32 * 144, seed: 4))
        let w = Tensor(shape: [48, 32, 3, 3], values: Self.values(48 * 32 * 9, seed: 5))
        #expect(!w.requiresGrad)
        let before = conv2d(x, weight: w, padding: 1)
        // As an optimizer step writes a parameter (in place, outside autograd): a new version of the storage.
        w.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = values[i] * -0.5 + 0.01 }
        }
        let after = conv2d(x, weight: w, padding: 1)
        let fresh = conv2d(x, weight: w.copy(), padding: 1)
        #expect(Self.same(after, fresh), "after an in-place change the kept copy must be remade")
        #expect(!Self.same(after, before))
        // assign (load_state_dict's copy_) is an in-place change too.
        w.assign(Tensor(shape: w.shape, values: Self.values(w.count, seed: 6)))
        let assigned = conv2d(x, weight: w, padding: 1)
        #expect(Self.same(assigned, conv2d(x, weight: w.copy(), padding: 1)))
    }

    @Test("a reshaped view of the same storage (another weight shape) gets copies of its own")
    func reshapedViews() {
        let w = Tensor(shape: [48, 32, 3, 3], values: Self.values(48 * 32 * 9, seed: 8))
        let x32 = Tensor(shape: [2, 32, 10, 10], values: Self.values(2 * 32 * 100, seed: 9))
        let x16 = Tensor(shape: [2, 16, 10, 10], values: Self.values(2 * 16 * 100, seed: 10))
        let wide = conv2d(x32, weight: w, padding: 1)
        let reshaped = w.reshape([96, 16, 3, 3])
        let narrow = conv2d(x16, weight: reshaped, padding: 1)
        #expect(Self.same(wide, conv2d(x32, weight: w.copy(), padding: 1)))
        #expect(Self.same(narrow, conv2d(x16, weight: reshaped.copy(), padding: 1)))
    }
}
