import Golden
import Kernels
import Tensors
import TestSupport
import Testing

/// The C element-wise and batch-norm loops (one clone per instruction set, chosen at load time) against their
/// scalar definitions, at every length around the vector widths (the tails) and on NaN, infinities and signed zero.
@Suite("Element-wise C kernels against their scalar definitions")
struct ElementwiseKernelTests {
    static let specials: [Float] = [.nan, -.infinity, .infinity, 0, -0.0, 1, -1, 3.5, -2.25, .leastNonzeroMagnitude]

    static func values(_ count: Int, offset: Int) -> [Float] {
        (0..<count).map { specials[($0 * 7 + offset) % specials.count] * Float(1 + ($0 % 5)) }
    }

    /// Bit patterns, so that NaN compares equal to NaN and -0 differs from 0 where the definition says so.
    static func bits(_ values: [Float]) -> [UInt32] { values.map { $0.isNaN ? 0x7FC0_0000 : $0.bitPattern } }

    @Test("relu, relu backward and add (alpha 1 and not) equal the scalar loops bit for bit, every tail length")
    func elementwise() {
        #expect(["avx512f", "avx2", "default"].contains(KernelBackend.elementwiseISA))
        for count in 0...70 {
            let (a, b) = (Self.values(count, offset: 1), Self.values(count, offset: 4))
            var out = [Float](repeating: 42, count: count)
            Elementwise.relu(a, &out, count: count)
            #expect(Self.bits(out) == Self.bits(a.map { $0 <= 0 ? 0 : $0 }), "relu, \(count) values")
            Elementwise.reluBackward(gradOutput: b, output: a, gradInput: &out, count: count)
            #expect(Self.bits(out) == Self.bits(zip(b, a).map { $1 <= 0 ? 0 : $0 }), "relu backward, \(count)")
            for alpha: Float in [1, -0.5] {
                Elementwise.add(a, b, alpha: alpha, &out, count: count)
                let expected = zip(a, b).map { alpha == 1 ? $0 + $1 : $0 + alpha * $1 }
                #expect(Self.bits(out) == Self.bits(expected), "add alpha \(alpha), \(count) values")
            }
        }
    }

    /// Channels-last rows split across the cores by channel ranges that start inside a 16-channel block (37 channels
    /// over 2 or more cores) still give every channel its own statistics.
    @Test("batch-norm statistics of channels-last rows split into channel ranges match Double sums")
    func batchNormChannelRanges() {
        let (rows, channels) = (8192, 37)
        let x = (0..<rows * channels).map { Float(($0 * 37) % 101) / 50 - 1 + 3 }
        var (mean, variance, invstd) = (
            [Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels),
            [Float](repeating: 0, count: channels)
        )
        BatchNormKernel.statistics(
            input: x, batch: rows, channels: channels, plane: 1, eps: 1e-5, mean: &mean, variance: &variance,
            invstd: &invstd)
        for c in [0, 15, 16, 17, 18, 31, 32, 36] {
            let values = (0..<rows).map { Double(x[$0 * channels + c]) }
            let mu = values.reduce(0, +) / Double(rows)
            let v = values.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(rows)
            #expect(abs(Double(mean[c]) - mu) <= 1e-6 * max(1, abs(mu)), "channel \(c): mean \(mean[c]) vs \(mu)")
            #expect(abs(Double(variance[c]) - v) <= 1e-6 * max(1, v), "channel \(c): variance \(variance[c]) vs \(v)")
        }
    }

    /// Planes below 64 go through the channel-range loops, 100 through the per-plane ones; planes of 1 (channels-last
    /// rows) in blocks of 16 channels, so 37 channels take two blocks and a remainder.
    @Test(
        "batch-norm statistics, normalisation and gradients against Double sums at odd plane sizes",
        arguments: [2, 37])
    func batchNorm(channels: Int) {
        for plane in [1, 7, 8, 9, 17, 33, 100] {
            let batch = 3
            let count = batch * channels * plane
            let x = (0..<count).map { Float(($0 * 37) % 101) / 50 - 1 + 3 }
            let dy = (0..<count).map { Float(($0 * 53) % 97) / 48 - 1 }
            var (mean, variance, invstd) = (
                [Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels),
                [Float](repeating: 0, count: channels)
            )
            BatchNormKernel.statistics(
                input: x, batch: batch, channels: channels, plane: plane, eps: 1e-5, mean: &mean,
                variance: &variance, invstd: &invstd)
            var (gx, gw, gb) = (
                [Float](repeating: 0, count: count), [Float](repeating: 0, count: channels),
                [Float](repeating: 0, count: channels)
            )
            BatchNormKernel.backward(
                gradOutput: dy, input: x, batch: batch, channels: channels, plane: plane, mean: mean, invstd: invstd,
                weight: nil, training: true, gradInput: &gx, gradWeight: &gw, gradBias: &gb)
            // Normalisation with an affine map, and the eval-mode gradient (constant statistics): dy * w * invstd.
            let weight = (0..<channels).map { [1.5, -0.5, 0.75][$0 % 3] as Float }
            let bias = (0..<channels).map { [0.25, 2, -1][$0 % 3] as Float }
            var (y, gxEval) = ([Float](repeating: 0, count: count), [Float](repeating: 0, count: count))
            BatchNormKernel.normalize(
                input: x, output: &y, batch: batch, channels: channels, plane: plane, mean: mean, invstd: invstd,
                weight: weight, bias: bias)
            BatchNormKernel.backward(
                gradOutput: dy, input: x, batch: batch, channels: channels, plane: plane, mean: mean, invstd: invstd,
                weight: weight, training: false, gradInput: &gxEval, gradWeight: nil, gradBias: nil)
            for c in 0..<channels {
                let indices = (0..<batch).flatMap { n in (0..<plane).map { (n * channels + c) * plane + $0 } }
                for i in indices {
                    let scale = invstd[c] * weight[c]
                    let expected = x[i] * scale + (bias[c] - mean[c] * scale)
                    #expect(abs(y[i] - expected) <= 1e-6 * max(1, abs(expected)), "plane \(plane): output \(i)")
                    #expect(gxEval[i] == dy[i] * scale, "plane \(plane): eval-mode grad input \(i)")
                }
            }
            for c in 0..<channels {
                let indices = (0..<batch).flatMap { n in (0..<plane).map { (n * channels + c) * plane + $0 } }
                let n = Double(indices.count)
                let mu = indices.reduce(0.0) { $0 + Double(x[$1]) } / n
                let v = indices.reduce(0.0) { $0 + (Double(x[$1]) - mu) * (Double(x[$1]) - mu) } / n
                let inv = 1 / (v + 1e-5).squareRoot()
                let sumDy = indices.reduce(0.0) { $0 + Double(dy[$1]) }
                let sumDyX = indices.reduce(0.0) { $0 + Double(dy[$1]) * (Double(x[$1]) - mu) }
                let label = "plane \(plane) channel \(c)"
                #expect(abs(Double(mean[c]) - mu) <= 1e-6 * max(1, abs(mu)), "\(label): mean")
                #expect(abs(Double(variance[c]) - v) <= 1e-6 * max(1, v), "\(label): variance")
                #expect(abs(Double(gb[c]) - sumDy) <= 1e-5 * max(1, abs(sumDy)), "\(label): grad bias")
                #expect(abs(Double(gw[c]) - sumDyX * inv) <= 1e-4 * max(1, abs(sumDyX * inv)), "\(label): grad weight")
                for i in indices {
                    let xhat = (Double(x[i]) - mu) * inv
                    let expected = inv * (Double(dy[i]) - sumDy / n - xhat * sumDyX * inv / n)
                    #expect(abs(Double(gx[i]) - expected) <= 1e-4 * max(1, abs(expected)), "\(label): grad input \(i)")
                }
            }
        }
    }
}
