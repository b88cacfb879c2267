/// The tolerances of every op reference, written down once with the reason for each.
///
/// Baseline: torch.testing.assert_close's float32 defaults (atol 1e-5, rtol 1.3e-6), which allow about one
/// rounding step per element. An op gets a looser bound only where its result is a long float32 sum whose order
/// differs between this engine (OpenBLAS GEMM, Double-accumulated reductions) and PyTorch (oneDNN/MKL).
public enum OpTolerances {
    /// The tolerance for tensor `tensor` (`outputs/output`, `grads/weight`, `state/running_var`, ...) of `op`.
    public static func tolerance(op: String, tensor: String) -> Tolerance {
        switch op {
        default:
            return .float32
        }
    }
}
