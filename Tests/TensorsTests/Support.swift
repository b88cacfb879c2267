import Testing
import Tensors
import Workbench

/// Records a test issue, with the comparison's full report (tensor, worst index, expected, actual, tolerance),
/// unless `actual` matches `expected` within `tolerance`.
func expectClose(
    _ actual: Tensor, _ expected: Tensor, _ name: String, tolerance: Tolerance = .float32,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let comparison = TensorComparison(name: name, actual: actual.toArray(), actualShape: actual.shape,
                                      expected: expected.toArray(), expectedShape: expected.shape,
                                      tolerance: tolerance)
    #expect(comparison.passed, Comment(rawValue: comparison.description), sourceLocation: sourceLocation)
}

/// The stored PyTorch op references shared by the op tests.
enum References {
    static let opsPath = PackagePaths.file(OpReferenceFile.defaultRelativePath)
    static let ops: OpReferenceFile = {
        do { return try OpReferenceFile(path: opsPath) } catch { fatalError("cannot open \(opsPath): \(error)") }
    }()
}
