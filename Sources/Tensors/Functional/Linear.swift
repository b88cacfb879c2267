import Kernels

/// Affine map `input @ weight^T + bias` (`torch.nn.functional.linear`) as one GEMM.
///
/// - Shapes: input `[N, in]`, weight `[out, in]`, bias `[out]`; result `[N, out]`.
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    require(input.rank == 2, "linear expects a 2-D input [N, in], got shape \(input.shape)")
    require(
        weight.rank == 2 && weight.shape[1] == input.shape[1],
        "linear: weight \(weight.shape) does not match input \(input.shape) (expected [out, \(input.shape[1])])")
    let (n, inFeatures, outFeatures) = (input.shape[0], input.shape[1], weight.shape[0])
    if let bias {
        require(bias.shape == [outFeatures], "linear: bias shape \(bias.shape) must be [\(outFeatures)]")
    }
    let output = Tensor.uninitialized([n, outFeatures])
    if let bias {
        for row in 0..<n { (output.pointer + row * outFeatures).update(from: bias.pointer, count: outFeatures) }
    }
    sgemm(
        transposeA: .none, transposeB: .transpose, m: n, n: outFeatures, k: inFeatures,
        a: input.pointer, lda: inFeatures, b: weight.pointer, ldb: inFeatures, beta: bias == nil ? 0 : 1,
        c: output.pointer, ldc: outFeatures)
    FLOPCounter.add(multiplyAdds: n * inFeatures * outFeatures)
    let savedInput = input.detach()
    let savedWeight = weight.detach()
    record("AddmmBackward", output: output, inputs: [input, weight, bias], saved: [savedInput, savedWeight]) {
        gradOutput, needs in
        var gradInput: Tensor?
        var gradWeight: Tensor?
        var gradBias: Tensor?
        FLOPCounter.add(multiplyAdds: n * inFeatures * outFeatures * ((needs[0] ? 1 : 0) + (needs[1] ? 1 : 0)))
        if needs[0] {
            let g = Tensor.uninitialized([n, inFeatures])
            sgemm(
                transposeA: .none, transposeB: .none, m: n, n: inFeatures, k: outFeatures,
                a: gradOutput.pointer, lda: outFeatures, b: savedWeight.pointer, ldb: inFeatures,
                c: g.pointer, ldc: inFeatures)
            gradInput = g
        }
        if needs[1] {
            let g = Tensor.uninitialized([outFeatures, inFeatures])
            sgemm(
                transposeA: .transpose, transposeB: .none, m: outFeatures, n: inFeatures, k: n,
                a: gradOutput.pointer, lda: outFeatures, b: savedInput.pointer, ldb: inFeatures,
                c: g.pointer, ldc: inFeatures)
            gradWeight = g
        }
        if needs[2] { gradBias = sumRows(gradOutput, rows: n, columns: outFeatures) }
        return [gradInput, gradWeight, gradBias]
    }
    return output
}

/// Column sums of a `[rows, columns]` matrix.
func sumRows(_ matrix: Tensor, rows: Int, columns: Int) -> Tensor {
    let result = Tensor.zeros([columns])
    for row in 0..<rows {
        Elementwise.accumulate(matrix.pointer + row * columns, into: result.pointer, count: columns)
    }
    return result
}
