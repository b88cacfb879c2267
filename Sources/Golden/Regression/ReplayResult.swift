import Tensors

/// What replaying one stored reference case gave: its tensor comparisons (each under its tolerance) and its exact
/// checks (a hyperparameter, a crop box, a decoded sample, a refused file), each failed one named with what was
/// expected and what was found. The test suites and `workbench regress` both read this, so one replay serves both.
public struct ReplayResult: Sendable {
    public private(set) var comparisons: [TensorComparison] = []
    /// Exact checks made, passed or not.
    public private(set) var exactChecks = 0
    /// The exact checks that failed, in replay order, each naming the file, key and both values.
    public private(set) var mismatches: [String] = []

    /// Checks that compared but could tell nothing (their tolerance grew beyond a stated fraction of the value):
    /// never counted as passed.
    public private(set) var notInformative: [String] = []
    /// Discrete choices that flipped between this engine and PyTorch (element, both margins), and the checks that
    /// diverged after one: reported as such, neither passed nor failed.
    public private(set) var nearTies: [String] = []
    public private(set) var afterNearTie: [String] = []

    public init() {}

    public mutating func noteNotInformative(_ name: String) { notInformative.append(name) }
    public mutating func noteNearTie(_ description: String) { nearTies.append(description) }
    public mutating func noteAfterNearTie(_ name: String) { afterNearTie.append(name) }

    /// Compares `actual` with PyTorch's `expected` under `tolerance` through the shared ``TensorComparison``.
    public mutating func compare(_ name: String, _ actual: Tensor, _ expected: Tensor, tolerance: Tolerance) {
        comparisons.append(TensorComparison(name: name, actual: actual, expected: expected, tolerance: tolerance))
    }

    /// Adds a comparison made elsewhere.
    public mutating func append(_ comparison: TensorComparison) { comparisons.append(comparison) }

    /// An exact check: `actual == expected`, else a mismatch `what: actual, expected expected`.
    public mutating func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: @autoclosure () -> String) {
        check(actual == expected, "\(what()): \(actual), expected \(expected)")
    }

    /// An exact check that failed when `condition` is false, described by `message`.
    public mutating func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        exactChecks += 1
        if !condition { mismatches.append(message()) }
    }

    /// Appends another result's comparisons and checks.
    public mutating func merge(_ other: ReplayResult) {
        comparisons += other.comparisons
        exactChecks += other.exactChecks
        mismatches += other.mismatches
    }

    public var passed: Bool { mismatches.isEmpty && comparisons.allSatisfy(\.passed) }

    /// Tensors and exact checks compared (informative or not).
    public var count: Int { comparisons.count + exactChecks + notInformative.count + afterNearTie.count }

    /// The first failing exact check, else the first failing comparison (nil when everything passed).
    public var firstDivergence: String? {
        mismatches.first ?? comparisons.first { !$0.passed }?.description
    }

    /// How close the closest comparison came to its tolerance (infinity when an exact check failed).
    public var worstViolation: Float {
        mismatches.isEmpty ? comparisons.map(\.worstViolation).max() ?? 0 : .infinity
    }
}
