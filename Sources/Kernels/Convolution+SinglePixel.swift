import CDNNL

/// Convolutions of a 1x1 input plane to a 1x1 output plane (layer4 of ResNet-18 on 32x32 images: `[N, 512, 1, 1]`
/// through 3x3 kernels with padding 1), as one GEMM over the whole batch with the single kernel tap that meets the
/// image.
///
/// With a 1x1 input and a 1x1 output, the output pixel's window covers the input at exactly one tap `(padH, padW)`
/// (dilation 1); every other tap reads padding. The convolution is then the linear map of that tap's weights
/// `Wt[o, c] = weight[o, c, padH, padW]`:
/// - forward: `y[N, O] = x[N, C] * Wt^T` (`torch.nn.functional.conv2d` gives the same sums, less the zero terms);
/// - backward data: `gx[N, C] = gy[N, O] * Wt`;
/// - backward weights: `gw[o, c, padH, padW] = (gy^T * x)[o, c]`, every other tap 0.
/// im2col + GEMM computes 9x the multiplies (8 of 9 with zeros), and oneDNN's primitive reorders all 9 taps' weights
/// per call. Only ``ConvolutionAlgorithm/automatic`` on the oneDNN backend takes this path; the reference backend and
/// ``ConvolutionAlgorithm/gemm`` keep im2col + GEMM, which tests compare it with.
///
/// Shapes: input `[N, C, 1, 1]`, weight `[O, C, kh, kw]`, bias `[O]`, output `[N, O, 1, 1]`.
extension Convolution {
    /// The one kernel tap `(row, column)` that meets the image, when `g` maps a 1x1 input to a 1x1 output with
    /// groups 1 and dilation 1 and the tap lies inside the kernel; nil otherwise.
    public static func singlePixelTap(_ g: ConvGeometry) -> (row: Int, column: Int)? {
        guard g.height == 1, g.width == 1, g.outHeight == 1, g.outWidth == 1, g.groups == 1, g.dilationH == 1,
            g.dilationW == 1, g.padH < g.kernelHeight, g.padW < g.kernelWidth, g.batch > 0
        else { return nil }
        return (g.padH, g.padW)
    }

    /// Whether `direction` of `g` runs as the single-tap GEMM (``singlePixelTap(_:)``): automatic on oneDNN only.
    static func usesSinglePixel(
        _ g: ConvGeometry, _ backend: KernelBackend, _ algorithm: ConvolutionAlgorithm
    ) -> Bool {
        backend == .oneDNN && algorithm == .automatic && singlePixelTap(g) != nil
    }

    /// Copies the tap's weights `weight[o, c, row, column]` into `[O, C]` at `into`.
    static func gatherTap(
        _ weight: UnsafePointer<Float>, _ g: ConvGeometry, into target: UnsafeMutablePointer<Float>
    ) {
        let (tap, taps) = singlePixelOffsets(g)
        let c = g.inChannels
        parallelFor(g.outChannels * c, grain: 65_536) { range in
            for i in range { target[i] = weight[i * taps + tap] }
        }
    }

    /// The tap's offset inside one `[kh, kw]` kernel and the kernel's size.
    static func singlePixelOffsets(_ g: ConvGeometry) -> (tap: Int, taps: Int) {
        let (row, column) = singlePixelTap(g)!
        return (row * g.kernelWidth + column, g.kernelHeight * g.kernelWidth)
    }

    /// Forward pass of a single-pixel convolution (``singlePixelTap(_:)`` must hold), bias and ReLU included.
    /// With `prepared` (weights that do not change between calls), the tap's `[O, C]` weights are gathered once and
    /// kept there.
    static func singlePixelForward(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry, workspace: Workspace, relu: Bool,
        backend: KernelBackend, prepared: PreparedWeights? = nil
    ) {
        let count = g.outChannels * g.inChannels
        let tapWeights: UnsafeMutablePointer<Float>
        if let prepared {
            tapWeights = prepared.copy(
                layout: OneDNN.descriptor([g.outChannels, g.inChannels], dnnl_ab), offset: singlePixelOffsets(g).tap,
                floats: count
            ) { gatherTap(weight, g, into: $0) }
        } else {
            tapWeights = workspace.reserve(count)
            gatherTap(weight, g, into: tapWeights)
        }
        sgemm(
            transposeA: .none, transposeB: .transpose, m: g.batch, n: g.outChannels, k: g.inChannels,
            a: input, lda: g.inChannels, b: tapWeights, ldb: g.inChannels, c: output, ldc: g.outChannels,
            backend: backend)
        epilogue(output, bias: bias, relu: relu, geometry: g)
    }

    /// The requested gradients of a single-pixel convolution (``singlePixelTap(_:)`` must hold); the bias gradient
    /// is the caller's.
    static func singlePixelBackward(
        gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?, geometry g: ConvGeometry,
        workspace: Workspace, backend: KernelBackend
    ) {
        let (o, c) = (g.outChannels, g.inChannels)
        let scratch = workspace.reserve(o * c)
        if let gradInput {
            gatherTap(weight, g, into: scratch)
            sgemm(
                transposeA: .none, transposeB: .none, m: g.batch, n: c, k: o, a: gradOutput, lda: o, b: scratch,
                ldb: c, c: gradInput, ldc: c, backend: backend)
        }
        if let gradWeight {
            sgemm(
                transposeA: .transpose, transposeB: .none, m: o, n: c, k: g.batch, a: gradOutput, lda: o, b: input,
                ldb: c, c: scratch, ldc: c, backend: backend)
            let (tap, taps) = singlePixelOffsets(g)
            parallelFor(o * c, grain: 16_384) { range in
                (gradWeight + range.lowerBound * taps).update(repeating: 0, count: range.count * taps)
                for i in range { gradWeight[i * taps + tap] = scratch[i] }
            }
        }
    }
}
