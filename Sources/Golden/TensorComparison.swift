import Tensors

/// The outcome of comparing one computed tensor with its PyTorch reference: the single shared comparison every
/// golden test and report goes through.
///
/// On failure its ``description`` names the tensor, the worst index, expected, actual and the tolerance.
public struct TensorComparison: Sendable, CustomStringConvertible {
    /// What was compared, e.g. `conv2d_stride2_pad1_b3_7x9 grads/weight`.
    public let name: String
    public let expectedShape: [Int]
    public let actualShape: [Int]
    public let tolerance: Tolerance
    /// Largest `|actual - expected|`.
    public let maxAbsoluteError: Float
    /// Largest `|actual - expected| / |expected|` over elements with `|expected| >= tolerance.absolute`
    /// (smaller references make relative error meaningless).
    public let maxRelativeError: Float
    /// Multi-index of the element furthest outside (or closest to) its tolerance.
    public let worstIndex: [Int]
    public let expectedAtWorst: Float
    public let actualAtWorst: Float
    /// Elements outside the tolerance.
    public let failingCount: Int
    /// The worst element's error as a multiple of what its tolerance allows (<= 1 passes; infinity for a NaN or
    /// shape mismatch): how close the tensor came to failing.
    public let worstViolation: Float

    public var passed: Bool { expectedShape == actualShape && failingCount == 0 }

    /// Compares row-major values of the given shapes under `tolerance`.
    public init(
        name: String, actual: [Float], actualShape: [Int], expected: [Float], expectedShape: [Int],
        tolerance: Tolerance
    ) {
        self.name = name
        self.expectedShape = expectedShape
        self.actualShape = actualShape
        self.tolerance = tolerance
        guard expectedShape == actualShape, actual.count == expected.count else {
            (maxAbsoluteError, maxRelativeError, worstIndex) = (.infinity, .infinity, [])
            (expectedAtWorst, actualAtWorst, failingCount) = (.nan, .nan, max(actual.count, expected.count, 1))
            self.worstViolation = .infinity
            return
        }
        var (maxAbs, maxRel, worst, worstViolation, failing): (Float, Float, Int, Float, Int) = (0, 0, 0, -1, 0)
        for i in 0..<expected.count {
            let (a, e) = (actual[i], expected[i])
            let violation = tolerance.violation(actual: a, expected: e)
            if violation > 1 { failing += 1 }
            if violation > worstViolation { (worstViolation, worst) = (violation, i) }
            // assert_close's equal_nan=False: a NaN on either side is a mismatch, and counts as one in the error.
            let error = a.isNaN || e.isNaN ? Float.infinity : abs(a - e)
            maxAbs = max(maxAbs, error)
            if abs(e) >= max(tolerance.absolute, Float.leastNormalMagnitude) { maxRel = max(maxRel, error / abs(e)) }
        }
        maxAbsoluteError = maxAbs
        maxRelativeError = maxRel
        failingCount = failing
        self.worstViolation = max(worstViolation, 0)
        worstIndex = expected.isEmpty ? [] : TensorComparison.multiIndex(worst, shape: expectedShape)
        expectedAtWorst = expected.isEmpty ? .nan : expected[worst]
        actualAtWorst = actual.isEmpty ? .nan : actual[worst]
    }

    static func multiIndex(_ flat: Int, shape: [Int]) -> [Int] {
        var index = [Int](repeating: 0, count: shape.count)
        var rest = flat
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return index
    }

    public var description: String {
        if expectedShape != actualShape {
            return "\(name): shape mismatch: expected \(expectedShape), actual \(actualShape)"
        }
        let verdict = passed ? "ok" : "MISMATCH in \(failingCount) element(s)"
        return "\(name): \(verdict); worst at index \(worstIndex): expected \(expectedAtWorst), actual "
            + "\(actualAtWorst) (max abs error \(maxAbsoluteError), max rel error \(maxRelativeError); tolerance "
            + "\(tolerance): \(tolerance.reason))"
    }
}

extension TensorComparison {
    /// Compares two tensors' values and shapes.
    public init(name: String, actual: Tensor, expected: Tensor, tolerance: Tolerance) {
        self.init(
            name: name, actual: actual.toArray(), actualShape: actual.shape, expected: expected.toArray(),
            expectedShape: expected.shape, tolerance: tolerance)
    }
}
