import Golden
import Tensors
import Testing

/// Records a test issue with the shared comparison's full report (tensor, worst index, expected, actual,
/// tolerance and its reason) unless `actual` matches `expected` within `tolerance`; returns the comparison.
@discardableResult
public func expectClose(
    _ actual: Tensor, _ expected: Tensor, _ name: String, tolerance: Tolerance = .float32,
    sourceLocation: SourceLocation = #_sourceLocation
) -> TensorComparison {
    let comparison = TensorComparison(name: name, actual: actual, expected: expected, tolerance: tolerance)
    expectPassed(comparison, sourceLocation: sourceLocation)
    return comparison
}

/// Records a test issue with the comparison's full report unless it passed.
public func expectPassed(_ comparison: TensorComparison, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(comparison.passed, Comment(rawValue: comparison.description), sourceLocation: sourceLocation)
}

/// Records one test issue per failed exact check and per failed comparison of a library replay (the replays
/// `workbench regress` runs), each with its full report.
public func expectPassed(_ result: ReplayResult, sourceLocation: SourceLocation = #_sourceLocation) {
    for mismatch in result.mismatches {
        Issue.record(Comment(rawValue: mismatch), sourceLocation: sourceLocation)
    }
    for comparison in result.comparisons where !comparison.passed {
        expectPassed(comparison, sourceLocation: sourceLocation)
    }
}
