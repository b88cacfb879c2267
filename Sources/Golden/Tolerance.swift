/// An `assert_close`-style tolerance: `|actual - expected| <= absolute + relative * |expected|` for every element
/// (torch/testing/_comparison.py), with the reason it is what it is.
public struct Tolerance: Sendable, Equatable, CustomStringConvertible {
    public var absolute: Float
    public var relative: Float
    /// Why this tolerance, in one sentence (printed in reports and failure messages).
    public var reason: String

    public init(absolute: Float, relative: Float, reason: String) {
        self.absolute = absolute
        self.relative = relative
        self.reason = reason
    }

    /// torch.testing.assert_close's float32 defaults: one float32 rounding step per element.
    public static let float32 = Tolerance(
        absolute: 1e-5, relative: 1.3e-6, reason: "torch.testing.assert_close float32 defaults")

    /// Exact equality, for integers and values copied without arithmetic.
    public static let exact = Tolerance(absolute: 0, relative: 0, reason: "copied or integer values must be equal")

    /// The one rule by which every golden family turns PyTorch's own rounding error into a tolerance:
    /// `atol = base.absolute + factor * float64Error`, `rtol = base.relative`.
    ///
    /// `float64Error` is what the generator measured for this very tensor: max |PyTorch's float32 result - the same
    /// computation in float64|. Our float32 result differs from PyTorch's by at most our own rounding error plus
    /// PyTorch's; both are sums of the same terms in another order (another BLAS kernel, another blocking, another
    /// core count), so both are of the size PyTorch measured, and `factor` bounds how much larger ours may be.
    /// Each family states its factor and why (``OpTolerances``, ``TraceTolerances``). A tensor with no recorded
    /// error (integers, legacy files) keeps `base`.
    public static func derived(base: Tolerance, float64Error: Float?, factor: Float) -> Tolerance {
        guard let float64Error, float64Error > 0 else { return base }
        return Tolerance(
            absolute: base.absolute + factor * float64Error, relative: base.relative,
            reason: base.reason + "; plus \(Int(factor))x PyTorch's own float32-vs-float64 error "
                + "(\(float64Error))")
    }

    /// How far `actual` is from passing, as a multiple of the allowed error (<= 1 passes).
    @inline(__always)
    func violation(actual: Float, expected: Float) -> Float {
        if actual == expected { return 0 }
        if actual.isNaN || expected.isNaN { return .infinity }
        let allowed = absolute + relative * abs(expected)
        let error = abs(actual - expected)
        return allowed > 0 ? error / allowed : .infinity
    }

    public var description: String { "atol \(absolute), rtol \(relative)" }
}
