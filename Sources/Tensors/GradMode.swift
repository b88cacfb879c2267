/// Whether operations record themselves for autograd (`torch.is_grad_enabled()`); on by default, per task/thread.
public enum GradMode {
    @TaskLocal static var enabled = true

    /// True unless inside ``noGrad(_:)``.
    public static var isEnabled: Bool { enabled }
}

/// Runs `body` without recording operations, like `with torch.no_grad():` - results have no `gradFn`, and no
/// backward state is saved.
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$enabled.withValue(false, operation: body)
}

/// Runs `body` with recording switched on again (`torch.enable_grad()`).
public func enableGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$enabled.withValue(true, operation: body)
}
