import Testing
import Tensors
import Workbench

/// Records a test issue with the shared comparison's full report (tensor, worst index, expected, actual,
/// tolerance) unless `actual` matches `expected` within `tolerance`.
func expectClose(
    _ actual: Tensor, _ expected: Tensor, _ name: String, tolerance: Tolerance = .float32,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let comparison = TensorComparison(name: name, actual: actual.toArray(), actualShape: actual.shape,
                                      expected: expected.toArray(), expectedShape: expected.shape,
                                      tolerance: tolerance)
    #expect(comparison.passed, Comment(rawValue: comparison.description), sourceLocation: sourceLocation)
}
