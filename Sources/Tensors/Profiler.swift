import Dispatch

/// Wall-clock time per scope and operation, forward and backward - what `torch.profiler` records per op with its
/// module hierarchy. The module layer names the scopes (`layer3.1.conv2`); every autograd node remembers the scope
/// that created it, so its backward time is attributed to that module.
///
/// Nothing is recorded, and nothing is timed, unless a profiler is active on the current task:
///
/// ```swift
/// let profiler = Profiler()
/// profiler.profiling { crossEntropy(model(x), target: y).backward() }
/// for (key, entry) in profiler.entries { print(key.scope, key.phase, key.op, entry.nanoseconds) }
/// ```
///
/// Times are self times: a scope's forward entry excludes the scopes nested in it, so the entries of one pass add up
/// to the time spent inside scopes. Kernels that run on worker threads count in the scope that launched them.
public final class Profiler {
    /// Forward (a scope's own computation) or backward (an autograd node's gradient function).
    public enum Phase: String, Sendable, Codable, Comparable {
        case forward, backward

        public static func < (lhs: Phase, rhs: Phase) -> Bool { lhs == .forward && rhs == .backward }
    }

    /// What an entry is about: the scope (a module path), the phase and the op (a module's type name forward,
    /// an autograd node's name backward, e.g. `ConvolutionBackward`).
    public struct Key: Hashable, Sendable {
        public let scope: String
        public let phase: Phase
        public let op: String

        public init(scope: String, phase: Phase, op: String) {
            (self.scope, self.phase, self.op) = (scope, phase, op)
        }
    }

    /// The calls and their total self time.
    public struct Entry: Sendable, Equatable {
        public var calls = 0
        public var nanoseconds: UInt64 = 0
    }

    /// The scope name for work recorded outside every named scope (the loss, the optimizer).
    public static let outsideScopes = "(outside modules)"
    /// The op name for the backward pass's own bookkeeping after a node: summing gradients that meet and
    /// accumulating leaves' `.grad`.
    public static let gradientAccumulation = "AccumulateGrad"

    @TaskLocal static var current: Profiler?

    /// Everything recorded so far.
    public private(set) var entries: [Key: Entry] = [:]
    private var open: [(name: String, childNanoseconds: UInt64)] = []

    public init() {}

    /// Runs `body` with this profiler active on the current task.
    public func profiling<R>(_ body: () throws -> R) rethrows -> R {
        try Profiler.$current.withValue(self, operation: body)
    }

    /// Forgets every entry.
    public func reset() { entries = [:] }

    /// The innermost open scope, recorded by the autograd nodes created now.
    var currentScope: String? { open.last?.name }

    /// Runs `body` as scope `name` doing `op` when a profiler is active (recording its self time), or just runs it.
    public static func scope<R>(_ name: String, op: String, _ body: () throws -> R) rethrows -> R {
        guard let profiler = current else { return try body() }
        return try profiler.timeScope(name, op: op, body)
    }

    private func timeScope<R>(_ name: String, op: String, _ body: () throws -> R) rethrows -> R {
        open.append((name, 0))
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            let children = open.removeLast().childNanoseconds
            if !open.isEmpty { open[open.count - 1].childNanoseconds += elapsed }
            add(Key(scope: name, phase: .forward, op: op), nanoseconds: elapsed - min(children, elapsed))
        }
        return try body()
    }

    /// Adds a backward entry for the node of `scope` (nil: created outside every scope) that took
    /// `nanoseconds`.
    func addBackward(scope: String?, op: String, nanoseconds: UInt64) {
        add(Key(scope: scope ?? Profiler.outsideScopes, phase: .backward, op: op), nanoseconds: nanoseconds)
    }

    /// Adds a forward entry for work outside modules that the caller timed itself (e.g. the loss).
    public func addForward(scope: String, op: String, nanoseconds: UInt64) {
        add(Key(scope: scope, phase: .forward, op: op), nanoseconds: nanoseconds)
    }

    private func add(_ key: Key, nanoseconds: UInt64) {
        entries[key, default: Entry()].calls += 1
        entries[key, default: Entry()].nanoseconds += nanoseconds
    }
}
