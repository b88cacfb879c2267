/// Tolerances for whole-model traces, written down once with their reasons.
///
/// Op-level references pass at float32 defaults, but a whole network chains dozens of long float32 sums whose
/// order differs between OpenBLAS (this engine) and oneDNN/MKL (PyTorch), and batch norm in training mode divides by
/// standard deviations taken over as few as N*H*W = 4 values per channel (batch 4 at 1x1 in layer4), which
/// amplifies last-bit differences layer by layer. How much depends on the tensor, so each stored tensor carries
/// `float64_error`: how far PyTorch's own float32 result is from the same run in float64. A tensor passes when
/// `|ours - torch| <= atol + rtol * |torch|` with `atol = base + noiseFactor * float64_error`.
public enum TraceTolerances {
    /// Multiples of PyTorch's own float32 error that this engine may be off by. Measured over all 11,839 stored
    /// tensors of the committed traces, the largest ratio of our error to PyTorch's own float32-vs-float64 error
    /// was 27 (a batch-norm bias after 3 SGD steps of the width-2 resnet50, whose dynamics amplify rounding ~10^4
    /// times in 3 steps) and 14-20 for step-1 gradients of early batch norms (sums of ~1000 back-propagated terms
    /// with cancellation); rounding invstd once in Double instead of twice in float32 moved one of those to 34.
    /// Each engine's rounding is one sample of an amplified error, so the ratio is heavy-tailed and a factor
    /// tuned to the last sample would fail on the next harmless change. A structural bug (a wrong sign, a missing
    /// term, a swapped tensor) moves values by O(1) relative - the col2im sign flip gave errors of 2x the value,
    /// thousands of times this noise - and op-level references pin every op at float32 defaults.
    public static let noiseFactor: Float = 64

    /// The tolerance of one stored tensor, given its `float64_error` (nil for integer or legacy datasets), by
    /// the rule every golden family shares (``Tolerance/derived(base:float64Error:factor:)``).
    public static func tolerance(_ kind: Kind, float64Error: Float?) -> Tolerance {
        Tolerance.derived(base: kind.base, float64Error: float64Error, factor: noiseFactor)
    }

    /// What is compared.
    public enum Kind {
        case activation, logits, loss, gradient, state

        var base: Tolerance {
            switch self {
            case .activation, .logits:
                return Tolerance(
                    absolute: 1e-5, relative: 1e-5,
                    reason: "module outputs after chained float32 reductions in another order")
            case .loss:
                return Tolerance(absolute: 1e-6, relative: 1e-5, reason: "a batch mean of log-softmax terms")
            case .gradient:
                return Tolerance(
                    absolute: 1e-6, relative: 1e-4,
                    reason: "gradients sum over N*H*W positions through every layer above")
            case .state:
                return Tolerance(
                    absolute: 1e-6, relative: 1e-5,
                    reason: "parameters move by lr * gradient per step")
            }
        }
    }
}
