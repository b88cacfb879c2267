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
