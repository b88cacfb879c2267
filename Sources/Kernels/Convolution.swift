/// 2-D convolution over NCHW batches as im2col + one GEMM per group over the whole batch
/// (`N * Ho * Wo` columns), the fallback path of `at::native::slow_conv2d` widened to the batch.
///
/// Shapes: input `[N, C, H, W]`, weight `[O, C/groups, kh, kw]`, bias `[O]`, output `[N, O, Ho, Wo]`.
public enum Convolution {
    /// Writes `conv2d(input, weight, bias)` into `output`.
    public static func forward(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry, workspace: Workspace
    ) {
        let (k, og, np, plane) = (g.columnRows, g.groupOutChannels, g.columnCount, g.outPlane)
        let direct = g.batch == 1
        let scratch = workspace.reserve((g.isPointwise && direct ? 0 : k * np) + (direct ? 0 : og * np))
        let columnsBuffer = scratch
        let product = scratch + (g.isPointwise && direct ? 0 : k * np)
        for group in 0..<g.groups {
            let columns: UnsafePointer<Float>
            if g.isPointwise && direct {
                columns = input + group * g.groupInChannels * plane
            } else {
                im2col(input, geometry: g, firstChannel: group * g.groupInChannels, channels: g.groupInChannels,
                       into: columnsBuffer)
                columns = UnsafePointer(columnsBuffer)
            }
            let target = direct ? output + group * og * plane : product
            sgemm(transposeA: .none, transposeB: .none, m: og, n: np, k: k,
                  a: weight + group * og * k, lda: k, b: columns, ldb: np, c: target, ldc: np)
            if !direct {
                // [Og, N, P] -> channels [group*Og, (group+1)*Og) of [N, O, P]
                for o in 0..<og {
                    for n in 0..<g.batch {
                        (output + (n * g.outChannels + group * og + o) * plane)
                            .update(from: product + (o * g.batch + n) * plane, count: plane)
                    }
                }
            }
        }
        if let bias {
            for n in 0..<g.batch {
                for o in 0..<g.outChannels {
                    let row = output + (n * g.outChannels + o) * plane
                    let b = bias[o]
                    for p in 0..<plane { row[p] += b }
                }
            }
        }
    }

    /// Computes only the requested gradients of `conv2d` (PyTorch's `output_mask`): `gradInput` is overwritten,
    /// `gradWeight` and `gradBias` are overwritten.
    ///
    /// Shapes: gradOutput `[N, O, Ho, Wo]`; gradInput like input; gradWeight like weight; gradBias `[O]`.
    public static func backward(
        gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
        gradBias: UnsafeMutablePointer<Float>?, geometry g: ConvGeometry, workspace: Workspace
    ) {
        let (k, og, np, plane) = (g.columnRows, g.groupOutChannels, g.columnCount, g.outPlane)
        if let gradBias {
            for o in 0..<g.outChannels {
                var sum: Float = 0
                for n in 0..<g.batch {
                    let row = gradOutput + (n * g.outChannels + o) * plane
                    for p in 0..<plane { sum += row[p] }
                }
                gradBias[o] = sum
            }
        }
        guard gradInput != nil || gradWeight != nil else { return }
        let direct = g.batch == 1
        let scratch = workspace.reserve(k * np + (direct ? 0 : g.outChannels * np))
        let columns = scratch
        // gradOutput as [O, N * P], the layout the GEMMs want.
        let gradRows: UnsafePointer<Float>
        if direct {
            gradRows = gradOutput
        } else {
            let transposed = scratch + k * np
            for n in 0..<g.batch {
                for o in 0..<g.outChannels {
                    (transposed + (o * g.batch + n) * plane)
                        .update(from: gradOutput + (n * g.outChannels + o) * plane, count: plane)
                }
            }
            gradRows = UnsafePointer(transposed)
        }
        if let gradInput {
            let inputCount = g.batch * g.inChannels * g.height * g.width
            if !(g.isPointwise && direct) { gradInput.update(repeating: 0, count: inputCount) }
        }
        for group in 0..<g.groups {
            let c0 = group * g.groupInChannels
            let gradGroup = gradRows + group * og * np
            if let gradWeight {
                let cols: UnsafePointer<Float>
                if g.isPointwise && direct {
                    cols = input + c0 * plane
                } else {
                    im2col(input, geometry: g, firstChannel: c0, channels: g.groupInChannels, into: columns)
                    cols = UnsafePointer(columns)
                }
                sgemm(transposeA: .none, transposeB: .transpose, m: og, n: k, k: np,
                      a: gradGroup, lda: np, b: cols, ldb: np, c: gradWeight + group * og * k, ldc: k)
            }
            if let gradInput {
                if g.isPointwise && direct {
                    sgemm(transposeA: .transpose, transposeB: .none, m: k, n: np, k: og,
                          a: weight + group * og * k, lda: k, b: gradGroup, ldb: np,
                          c: gradInput + c0 * plane, ldc: np)
                } else {
                    sgemm(transposeA: .transpose, transposeB: .none, m: k, n: np, k: og,
                          a: weight + group * og * k, lda: k, b: gradGroup, ldb: np, c: columns, ldc: np)
                    col2im(columns, geometry: g, firstChannel: c0, channels: g.groupInChannels, into: gradInput)
                }
            }
        }
    }
}
