import CBLAS
import CDNNL

/// Matrix transposition flags for ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
public enum Transpose {
    case none, transpose

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    /// `dnnl_sgemm`'s flag character.
    var dnnl: CChar { self == .none ? CChar(UInt8(ascii: "N")) : CChar(UInt8(ascii: "T")) }
}

/// Row-major single-precision GEMM: `C = alpha * op(A) * op(B) + beta * C`, through oneDNN's `dnnl_sgemm` or
/// OpenBLAS's `cblas_sgemm` (``KernelBackend``; `backend` defaults to the process's choice).
///
/// Shapes: op(A) is `[m, k]`, op(B) is `[k, n]`, C is `[m, n]`; `lda`, `ldb`, `ldc` are the row strides of the
/// matrices as stored (before the transposition). Mirrors `cblas_sgemm(CblasRowMajor, ...)` (and `dnnl_sgemm`,
/// which is row-major too).
///
/// Threading is the kernels' own: both libraries run single-threaded (OpenBLAS's threads off, oneDNN's OpenMP teams
/// of one, see ``OpenMPThreads``), and a large product is split into one block of
/// columns (or rows) per core on the same worker pool as every other parallel loop. With OpenBLAS's own threads
/// beside that pool, its idle workers spin in `sched_yield` while the memory-bound loops between GEMMs run, and the
/// two pools fight over the cores (10% of a 32x64 ResNet forward pass went to the scheduler). Pass
/// `threaded: false` from code that already runs one task per core.
public func sgemm(
    transposeA: Transpose, transposeB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int, threaded: Bool = true, backend: KernelBackend = .selected
) {
    guard m > 0, n > 0 else { return }
    _ = BLASThreading.singleThreaded
    if k == 0 {
        // BLAS leaves C untouched only when beta == 1; make k == 0 mean "op(A) op(B) is zero".
        scale(c, rows: m, columns: n, stride: ldc, by: beta)
        return
    }
    func run(_ m: Int, _ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>)
    {
        switch backend {
        case .oneDNN:
            OpenMPThreads.singleOnThisThread()
            let status = dnnl_sgemm(
                transposeA.dnnl, transposeB.dnnl, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb),
                beta, c, Int64(ldc))
            precondition(
                status == dnnl_success,
                "dnnl_sgemm refused m \(m) n \(n) k \(k) lda \(lda) ldb \(ldb) ldc \(ldc) (status \(status.rawValue))")
        case .reference:
            cblas_sgemm(
                CblasRowMajor, transposeA.cblas, transposeB.cblas, Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }
    let chunks = threaded && m * n * k >= BLASThreading.parallelWork ? Parallelism.cores : 1
    if chunks > 1 && n >= 64 * chunks && n >= m {
        // Column blocks: C[:, j0..<j1] = op(A) * op(B)[:, j0..<j1].
        parallelFor(chunks, grain: 1) { range in
            for chunk in range {
                let (j0, j1) = (n * chunk / chunks, n * (chunk + 1) / chunks)
                let bBlock = transposeB == .none ? b + j0 : b + j0 * ldb
                run(m, j1 - j0, a, bBlock, c + j0)
            }
        }
    } else if chunks > 1 && m >= 16 * chunks {
        // Row blocks: C[i0..<i1, :] = op(A)[i0..<i1, :] * op(B).
        parallelFor(chunks, grain: 1) { range in
            for chunk in range {
                let (i0, i1) = (m * chunk / chunks, m * (chunk + 1) / chunks)
                let aBlock = transposeA == .none ? a + i0 * lda : a + i0
                run(i1 - i0, n, aBlock, b, c + i0 * ldc)
            }
        }
    } else {
        run(m, n, a, b, c)
    }
}

func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
    for r in 0..<rows {
        let row = c + r * stride
        for j in 0..<columns { row[j] = beta == 0 ? 0 : row[j] * beta }
    }
}

/// How GEMMs are threaded (see ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``).
public enum BLASThreading {
    /// Products of at least this many multiply-adds are split across cores.
    public static let parallelWork = 1 << 21

    /// Switches OpenBLAS's own threads off, once, before the first GEMM.
    static let singleThreaded: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// The threads GEMMs use: one OpenBLAS thread per block, one block per core.
    public static var threads: Int { Parallelism.cores }

    /// The kernel OpenBLAS chose for this CPU (`openblas_get_corename`: e.g. `Haswell`, `SkylakeX`, `Zen`), which
    /// `OPENBLAS_CORETYPE` overrides.
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
}
