/// Counts the floating-point operations of the matrix products that `conv2d` and `linear` run, forward and
/// backward, as `torch.utils.flop_counter.FlopCounterMode` does: 2 per multiply-add of a convolution or
/// addmm/mm, nothing for bias additions, batch norm, pooling or element-wise ops; a backward pass counts only the
/// gradients it computes (`output_mask`). Benchmarks use it to report achieved GFLOPS of partial backward passes.
///
/// ```swift
/// let counter = FLOPCounter()
/// counter.count { crossEntropy(model(x), target: y).backward() }
/// print(counter.total)
/// ```
public final class FLOPCounter: @unchecked Sendable {
    /// Operations counted so far.
    public private(set) var total = 0

    @TaskLocal static var current: FLOPCounter?

    public init() {}

    /// Runs `body`, adding the operations it runs - including backward passes it starts - to ``total``.
    /// Operations are counted on the task that calls them; they are not thread-safe across tasks.
    public func count<R>(_ body: () throws -> R) rethrows -> R {
        try FLOPCounter.$current.withValue(self, operation: body)
    }

    /// Adds `2 * multiplyAdds` to the counter of the current task, if any.
    static func add(multiplyAdds: Int) {
        current?.total += 2 * multiplyAdds
    }
}
