import Golden
import Tensors
import Testing

/// The op tolerances (``OpTolerances``: float32 base + 16 x PyTorch's own float64 error) must accept every valid
/// summation order and reject a wrong kernel. Each test runs a plain scalar kernel written here - the same
/// arithmetic on every machine, independent of BLAS and thread count - against a stored PyTorch case, once as
/// PyTorch defines the op (in another summation order than any library uses: it must pass) and once with one
/// deliberate mistake (it must fail, at the element the mistake touches).
@Suite("Op tolerances: a valid order passes, a wrong kernel fails")
struct ToleranceSensitivityTests {
    /// The case and tensor the BLAS-kernel issue was found on: `OPENBLAS_CORETYPE=Haswell` changed the summation
    /// order of this weight gradient (reduction length 4 x 16 x 17 = 1,088) and broke a tolerance that did not come
    /// from PyTorch's own error.
    static let convCase = "conv2d_3x3_pad1_groups2_nobias_b4_c6_o4_16x17"
    static let tiesCase = "max_pool2d_2x2_s1_ties_b1_c2_9x19"

    @Test("conv2d weight gradient: reversed summation order passes; one dropped term fails at its element")
    func droppedTermFails() throws {
        let reference = try References.ops.loadCase(Self.convCase)
        let expected = try #require(reference.expectedGrads["weight"])
        let tolerance = OpTolerances.tolerance(float64Error: reference.float64Errors["grads/weight"])
        let element = [1, 2, 0, 2]

        let valid = try Self.convWeightGradient(reference, dropping: nil)
        let passing = TensorComparison(
            name: "\(Self.convCase) grads/weight (scalar kernel, reversed order)", actual: valid,
            actualShape: expected.shape, expected: expected.toArray(), expectedShape: expected.shape,
            tolerance: tolerance)
        #expect(passing.passed, Comment(rawValue: passing.description))

        let wrong = try Self.convWeightGradient(reference, dropping: element)
        let failing = TensorComparison(
            name: "\(Self.convCase) grads/weight (one term dropped)", actual: wrong, actualShape: expected.shape,
            expected: expected.toArray(), expectedShape: expected.shape, tolerance: tolerance)
        #expect(!failing.passed, "a dropped term passed: \(failing.description)")
        #expect(failing.worstIndex == element && failing.failingCount == 1, Comment(rawValue: failing.description))
    }

    @Test("max_pool2d with ties: PyTorch's first-maximum rule passes; the last maximum fails in the gradient")
    func wrongTieRuleFails() throws {
        let reference = try References.ops.loadCase(Self.tiesCase)
        let expected = try #require(reference.expectedGrads["input"])
        let tolerance = OpTolerances.tolerance(float64Error: reference.float64Errors["grads/input"])
        for (rule, mustPass) in [(TieRule.first, true), (.last, false)] {
            let gradient = try Self.maxPoolInputGradient(reference, rule: rule)
            let comparison = TensorComparison(
                name: "\(Self.tiesCase) grads/input (scalar kernel, \(rule) maximum)", actual: gradient,
                actualShape: expected.shape, expected: expected.toArray(), expectedShape: expected.shape,
                tolerance: tolerance)
            #expect(comparison.passed == mustPass, Comment(rawValue: comparison.description))
        }
    }

    // MARK: - Scalar kernels

    enum TieRule: CustomStringConvertible {
        /// `torch.nn.functional.max_pool2d`: a later tap wins only when strictly greater (or NaN).
        case first
        /// The mistake: a later equal tap wins.
        case last
        var description: String { self == .first ? "first" : "last" }
    }

    /// A (height, width) attribute of the case, stored as an int64 pair or one int64.
    static func pair(_ reference: OpCase, _ key: String) throws -> (Int, Int) {
        switch reference.attributes[key] {
        case .int64(let value)?: return (Int(value), Int(value))
        case .int64Array(let values)? where values.count == 2: return (Int(values[0]), Int(values[1]))
        default: throw CaseError("\(reference.source): attribute '\(key)' is not an int pair")
        }
    }

    struct CaseError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// `torch.nn.grad.conv2d_weight` as its definition reads, summed in float32 from the last (image, row, column)
    /// to the first; `dropping` leaves out, for that weight element, the term of median magnitude among its
    /// non-zero terms. Shapes: input [N, C, H, W], grad_output [N, O, Ho, Wo], result [O, C / groups, kh, kw].
    static func convWeightGradient(_ reference: OpCase, dropping element: [Int]?) throws -> [Float] {
        let input = try #require(reference.inputs["input"])
        let weightShape = try #require(reference.inputs["weight"]).shape
        let (x, gy) = (input.toArray(), reference.gradOutput.toArray())
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (o, cg, kh, kw) = (weightShape[0], weightShape[1], weightShape[2], weightShape[3])
        let (ho, wo) = (reference.gradOutput.shape[2], reference.gradOutput.shape[3])
        let (sh, sw) = try pair(reference, "stride")
        let (ph, pw) = try pair(reference, "padding")
        let (dh, dw) = try pair(reference, "dilation")
        let groups = (c / cg)
        var result = [Float](repeating: 0, count: o * cg * kh * kw)
        for oc in 0..<o {
            let group = oc / (o / groups)
            for ic in 0..<cg {
                for i in 0..<kh {
                    for j in 0..<kw {
                        var terms: [Float] = []
                        for image in (0..<n).reversed() {
                            for y in (0..<ho).reversed() {
                                for xo in (0..<wo).reversed() {
                                    let (iy, ix) = (y * sh - ph + i * dh, xo * sw - pw + j * dw)
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let channel = group * cg + ic
                                    terms.append(
                                        gy[((image * o + oc) * ho + y) * wo + xo]
                                            * x[((image * c + channel) * h + iy) * w + ix])
                                }
                            }
                        }
                        if element == [oc, ic, i, j] {
                            let nonZero = terms.indices.filter { terms[$0] != 0 }.sorted {
                                abs(terms[$0]) < abs(terms[$1])
                            }
                            terms.remove(at: nonZero[nonZero.count / 2])
                        }
                        result[((oc * cg + ic) * kh + i) * kw + j] = terms.reduce(0, +)
                    }
                }
            }
        }
        return result
    }

    /// The input gradient of `max_pool2d` (no padding, dilation 1, as the ties case is recorded): each window's
    /// winner, scanned in row-major order, receives that output's gradient. Shapes: input [N, C, H, W],
    /// grad_output [N, C, Ho, Wo], result [N, C, H, W].
    static func maxPoolInputGradient(_ reference: OpCase, rule: TieRule) throws -> [Float] {
        let input = try #require(reference.inputs["input"])
        let (x, gy) = (input.toArray(), reference.gradOutput.toArray())
        let (planes, h, w) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
        let (ho, wo) = (reference.gradOutput.shape[2], reference.gradOutput.shape[3])
        let (kh, kw) = try pair(reference, "kernel_size")
        let (sh, sw) = try pair(reference, "stride")
        let (ph, pw) = try pair(reference, "padding")
        let (dh, dw) = try pair(reference, "dilation")
        #expect(ph == 0 && pw == 0 && dh == 1 && dw == 1, "the scalar kernel covers unpadded, undilated windows")
        var gradient = [Float](repeating: 0, count: x.count)
        for plane in 0..<planes {
            for y in 0..<ho {
                for xo in 0..<wo {
                    var (best, winner) = (-Float.infinity, -1)
                    for i in 0..<kh {
                        for j in 0..<kw {
                            let index = (plane * h + y * sh + i) * w + xo * sw + j
                            let value = x[index]
                            let wins = rule == .first ? value > best || value.isNaN : value >= best || value.isNaN
                            if winner < 0 || wins { (best, winner) = (value, index) }
                        }
                    }
                    gradient[winner] += gy[(plane * ho + y) * wo + xo]
                }
            }
        }
        return gradient
    }
}
