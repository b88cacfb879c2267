import Golden
import Kernels
import Tensors
import TestSupport
import Testing

/// The fast kernels (oneDNN) against the reference kernels (OpenBLAS) on the same inputs, called side by side in
/// one process, and both against the defining sums in Double.
///
/// Tolerance: both are float32 sums of the same products in another order, so each differs from the exact sum by
/// its own rounding error. The reference path's error is measured per tensor (against Double), and the fast path
/// may differ from the reference by up to 4x that error (``Tolerance/derived(base:float64Error:factor:)``: its own
/// error at most 3x the reference's, plus the reference's). Where the fast path runs oneDNN's Winograd kernels
/// (``Convolution/primitiveImplementations(_:_:layout:weightsPrepared:)``), its own error may be 16x the reference's:
/// F(4x4, 3x3)'s transforms (entries up to 8) round more than a direct sum, measured up to 6x the reference's error
/// on these shapes and the ResNet ones.
@Suite("Kernel backends: oneDNN against the OpenBLAS reference")
struct KernelBackendTests {
    typealias Draw = KernelPropertyTests.Draw

    static func random(_ count: Int, _ draw: inout Draw) -> [Float] {
        (0..<count).map { _ in Float(draw.int(2001)) / 1000 - 1 }
    }

    /// Compares `fast` with `reference` within 4x the reference's own error against `exact` (17x with `winograd`).
    static func expectBackendsAgree(
        fast: [Float], reference: [Float], exact: [Float], shape: [Int], _ name: String, winograd: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let referenceError = zip(reference, exact).map { abs($0 - $1) }.max() ?? 0
        let own: Float = winograd ? 16 : 3
        let why = winograd ? "Winograd F(4x4, 3x3) against float32 sums" : "float32 sums in another order"
        let tolerance = Tolerance.derived(
            base: Tolerance(absolute: 1e-6, relative: 0, reason: why),
            float64Error: max(referenceError, 1e-7), factor: own + 1)
        expectClose(
            Tensor(shape: shape, values: fast), Tensor(shape: shape, values: reference), "\(name): onednn vs reference",
            tolerance: tolerance, sourceLocation: sourceLocation)
        expectClose(
            Tensor(shape: shape, values: fast), Tensor(shape: shape, values: exact), "\(name): onednn vs Double sums",
            tolerance: Tolerance.derived(
                base: Tolerance(
                    absolute: 1e-6, relative: 0,
                    reason: winograd ? "Winograd F(4x4, 3x3) against Double" : "float32 sums against Double"),
                float64Error: max(referenceError, 1e-7), factor: own),
            sourceLocation: sourceLocation)
    }

    @Test("WORKBENCH_KERNELS values: onednn (default), reference; anything else is named in the error")
    func parsing() throws {
        #expect(try KernelBackend.parse("") == .oneDNN)
        #expect(try KernelBackend.parse("onednn") == .oneDNN)
        #expect(try KernelBackend.parse(" Reference ") == .reference)
        #expect(throws: KernelBackendError.unknown(value: "fast")) { try KernelBackend.parse("fast") }
        let message = KernelBackendError.unknown(value: "fast").description
        #expect(message.contains("WORKBENCH_KERNELS=fast") && message.contains("onednn or reference"))
    }

    @Test(
        "sgemm: every transposition, beta 0 and 1, padded strides, products split across cores",
        arguments: [
            (1, 1, 1), (7, 5, 3), (64, 300, 576), (300, 64, 1152), (128, 512, 64), (256, 49, 2304), (1000, 8, 512),
        ])
    func gemm(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var draw = Draw(state: UInt64(m * 7919 + n * 31 + k))
        for transposeA in [Transpose.none, .transpose] {
            for transposeB in [Transpose.none, .transpose] {
                for beta: Float in [0, 1] {
                    let (rowsA, colsA) = transposeA == .none ? (m, k) : (k, m)
                    let (rowsB, colsB) = transposeB == .none ? (k, n) : (n, k)
                    let (lda, ldb, ldc) = (colsA + 3, colsB + 1, n + 2)
                    let a = Self.random(rowsA * lda, &draw)
                    let b = Self.random(rowsB * ldb, &draw)
                    let c0 = Self.random(m * ldc, &draw)
                    func run(_ backend: KernelBackend) -> [Float] {
                        var c = c0
                        c.withUnsafeMutableBufferPointer { c in
                            sgemm(
                                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc,
                                backend: backend)
                        }
                        return c
                    }
                    var exact = c0
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for p in 0..<k {
                                let x = transposeA == .none ? a[i * lda + p] : a[p * lda + i]
                                let y = transposeB == .none ? b[p * ldb + j] : b[j * ldb + p]
                                sum += Double(x) * Double(y)
                            }
                            exact[i * ldc + j] = Float(0.5 * sum + Double(beta) * Double(c0[i * ldc + j]))
                        }
                    }
                    Self.expectBackendsAgree(
                        fast: run(.oneDNN), reference: run(.reference), exact: exact, shape: [m, ldc],
                        "sgemm \(m)x\(n)x\(k) \(transposeA)/\(transposeB) beta \(beta)")
                }
            }
        }
    }

    @Test(
        "conv2d forward, input and weight gradients: ResNet layer shapes, groups, dilation, single images, channel slices",
        arguments: [
            ConvGeometry(
                batch: 2, inChannels: 3, height: 20, width: 18, outChannels: 8, kernelHeight: 7, kernelWidth: 7,
                strideH: 2, strideW: 2, padH: 3, padW: 3),
            ConvGeometry(
                batch: 4, inChannels: 16, height: 14, width: 14, outChannels: 16, kernelHeight: 3, kernelWidth: 3,
                padH: 1, padW: 1),
            ConvGeometry(
                batch: 1, inChannels: 16, height: 20, width: 20, outChannels: 24, kernelHeight: 3, kernelWidth: 3,
                padH: 1, padW: 1),
            ConvGeometry(
                batch: 3, inChannels: 32, height: 8, width: 8, outChannels: 64, kernelHeight: 1, kernelWidth: 1,
                strideH: 2, strideW: 2),
            ConvGeometry(
                batch: 5, inChannels: 64, height: 4, width: 4, outChannels: 64, kernelHeight: 3, kernelWidth: 3,
                padH: 1, padW: 1),
            // A weight larger than the input: the weight gradient splits by output channels (16 and 24 here, the
            // second slice not a whole number of 16-channel blocks), at batch 1 too.
            ConvGeometry(
                batch: 1, inChannels: 16, height: 3, width: 3, outChannels: 40, kernelHeight: 3, kernelWidth: 3,
                padH: 1, padW: 1),
            ConvGeometry(
                batch: 2, inChannels: 24, height: 17, width: 17, outChannels: 32, kernelHeight: 1, kernelWidth: 1),
            ConvGeometry(
                batch: 2, inChannels: 8, height: 11, width: 9, outChannels: 12, kernelHeight: 3, kernelWidth: 3,
                padH: 2, padW: 1, dilationH: 2, dilationW: 1, groups: 4),
        ])
    func convolution(geometry g: ConvGeometry) {
        var draw = Draw(state: UInt64(g.inChannels * 131 + g.outChannels * 17 + g.height))
        let x = Self.random(g.batch * g.inChannels * g.height * g.width, &draw)
        let w = Self.random(g.outChannels * g.columnRows, &draw)
        let bias = Self.random(g.outChannels, &draw)
        let gy = Self.random(g.batch * g.outChannels * g.outPlane, &draw)
        func run(_ backend: KernelBackend) -> (y: [Float], gx: [Float], gw: [Float]) {
            let workspace = Workspace()
            var (y, gx, gw) = (
                [Float](repeating: .nan, count: gy.count), [Float](repeating: .nan, count: x.count),
                [Float](repeating: .nan, count: w.count)
            )
            y.withUnsafeMutableBufferPointer { y in
                Convolution.forward(
                    input: x, weight: w, bias: nil, output: y.baseAddress!, geometry: g, workspace: workspace,
                    backend: backend)
            }
            gx.withUnsafeMutableBufferPointer { gx in
                gw.withUnsafeMutableBufferPointer { gw in
                    Convolution.backward(
                        gradOutput: gy, input: x, weight: w, gradInput: gx.baseAddress!, gradWeight: gw.baseAddress!,
                        gradBias: nil, geometry: g, workspace: workspace, backend: backend)
                }
            }
            return (y, gx, gw)
        }
        let (fast, reference) = (run(.oneDNN), run(.reference))
        let (y, gx, gw) = KernelPropertyTests.naiveConvolution(x, w, gy, g)
        let label = "conv2d \(g)"
        func winograd(_ direction: ConvolutionDirection) -> Bool {
            Convolution.primitiveImplementations(g, direction)?.contains { $0.contains("wino") } == true
        }
        Self.expectBackendsAgree(
            fast: fast.y, reference: reference.y, exact: y, shape: [gy.count], "\(label) output",
            winograd: winograd(.forward))
        Self.expectBackendsAgree(
            fast: fast.gx, reference: reference.gx, exact: gx, shape: [x.count], "\(label) grad input",
            winograd: winograd(.backwardData))
        Self.expectBackendsAgree(
            fast: fast.gw, reference: reference.gw, exact: gw, shape: [w.count], "\(label) grad weight",
            winograd: winograd(.backwardWeights))
        // With a bias: oneDNN's primitive adds it inside its accumulation (in an order that depends on the kernel
        // it picks for this CPU), the GEMM paths after the GEMM, so both are held to the Double sums plus the bias.
        func withBias(_ backend: KernelBackend) -> [Float] {
            var out = [Float](repeating: .nan, count: gy.count)
            out.withUnsafeMutableBufferPointer { out in
                Convolution.forward(
                    input: x, weight: w, bias: bias, output: out.baseAddress!, geometry: g, workspace: Workspace(),
                    backend: backend)
            }
            return out
        }
        Self.expectBackendsAgree(
            fast: withBias(.oneDNN), reference: withBias(.reference),
            exact: y.indices.map { y[$0] + bias[$0 / g.outPlane % g.outChannels] }, shape: [gy.count],
            "\(label) output with bias", winograd: winograd(.forward))
    }
}
