import Golden
import Testing

@Suite("TensorComparison")
struct TensorComparisonTests {
    let tolerance = Tolerance(absolute: 1e-3, relative: 1e-2, reason: "test")

    @Test("passes inside atol + rtol * |expected| and fails just outside")
    func boundary() {
        let inside = TensorComparison(
            name: "x", actual: [1.0105], actualShape: [1], expected: [1],
            expectedShape: [1], tolerance: tolerance)
        #expect(inside.passed)
        let outside = TensorComparison(
            name: "x", actual: [1.0115], actualShape: [1], expected: [1],
            expectedShape: [1], tolerance: tolerance)
        #expect(!outside.passed)
    }

    @Test("names the worst element by multi-index, with expected, actual and tolerance")
    func worstIndex() {
        let expected: [Float] = [0, 1, 2, 3, 4, 5]
        var actual = expected
        actual[4] = 4.5
        actual[1] = 1.01
        let c = TensorComparison(
            name: "case grads/weight", actual: actual, actualShape: [2, 3],
            expected: expected, expectedShape: [2, 3], tolerance: tolerance)
        #expect(!c.passed)
        #expect(c.worstIndex == [1, 1])
        #expect(c.failingCount == 1)
        #expect(c.expectedAtWorst == 4 && c.actualAtWorst == 4.5)
        for part in ["case grads/weight", "[1, 1]", "expected 4.0", "actual 4.5", "atol 0.001", "rtol 0.01"] {
            #expect(c.description.contains(part), "missing '\(part)' in: \(c.description)")
        }
    }

    @Test("NaN where a number is expected fails; shape mismatch fails and says so")
    func nanAndShape() {
        let nan = TensorComparison(
            name: "n", actual: [.nan], actualShape: [1], expected: [0], expectedShape: [1],
            tolerance: tolerance)
        #expect(!nan.passed)
        // The mismatch is counted in the reported error, so a summary's "worst error" can never hide it.
        #expect(nan.maxAbsoluteError == .infinity && nan.worstViolation == .infinity && nan.failingCount == 1)
        let bothNaN = TensorComparison(
            name: "m", actual: [.nan, 1], actualShape: [2], expected: [.nan, 2],
            expectedShape: [2], tolerance: tolerance)
        // assert_close's default equal_nan=False: NaN against NaN is a mismatch too.
        #expect(!bothNaN.passed && bothNaN.maxAbsoluteError == .infinity && bothNaN.worstIndex == [0])
        let shape = TensorComparison(
            name: "s", actual: [1, 2], actualShape: [2], expected: [1, 2],
            expectedShape: [1, 2], tolerance: tolerance)
        #expect(!shape.passed)
        #expect(shape.description.contains("shape mismatch"))
    }

    @Test("exact tolerance accepts only equal values")
    func exact() {
        let c = TensorComparison(
            name: "e", actual: [1, 2.0000002], actualShape: [2], expected: [1, 2],
            expectedShape: [2], tolerance: .exact)
        #expect(!c.passed)
    }
}
