import CBLAS

/// Matrix transposition flags for ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
public enum Transpose {
    case none, transpose

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Row-major single-precision GEMM through OpenBLAS: `C = alpha * op(A) * op(B) + beta * C`.
///
/// Shapes: op(A) is `[m, k]`, op(B) is `[k, n]`, C is `[m, n]`; `lda`, `ldb`, `ldc` are the row strides of the
/// matrices as stored (before the transposition). Mirrors `cblas_sgemm(CblasRowMajor, ...)`.
public func sgemm(
    transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        // BLAS leaves C untouched only when beta == 1; make k == 0 mean "op(A) op(B) is zero".
        scale(c, rows: m, columns: n, stride: ldc, by: beta)
        return
    }
    cblas_sgemm(
        CblasRowMajor, transposeA.cblas, transposeB.cblas, Int32(m), Int32(n), Int32(k), alpha,
        a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
    for r in 0..<rows {
        let row = c + r * stride
        for j in 0..<columns { row[j] = beta == 0 ? 0 : row[j] * beta }
    }
}

/// The number of threads OpenBLAS uses for one GEMM (`openblas_get_num_threads`).
public var blasThreadCount: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(newValue)) }
}
