import Tensors

/// Collects the output of every named submodule during a forward pass, in completion order - what forward hooks
/// registered on every module record in PyTorch. Used to find the first module whose output diverges.
public final class ForwardRecorder {
    @TaskLocal static var current: ForwardRecorder?

    private let names: [ObjectIdentifier: String]
    /// (module name, output) in the order the modules finished.
    public private(set) var outputs: [(name: String, output: Tensor)] = []
    /// Each recorded call's input, parallel to ``outputs`` (what a forward pre-hook sees).
    public private(set) var inputs: [Tensor] = []

    /// Records the submodules of `root` (the root itself is not recorded).
    public init(root: Module) {
        var names: [ObjectIdentifier: String] = [:]
        for (name, module) in root.namedModules() where !name.isEmpty { names[ObjectIdentifier(module)] = name }
        self.names = names
    }

    func record(_ module: Module, input: Tensor, _ output: Tensor) {
        if let name = names[ObjectIdentifier(module)] {
            outputs.append((name, output.detach()))
            inputs.append(input.detach())
        }
    }

    /// Runs `body` with this recorder active.
    public func recording<R>(_ body: () throws -> R) rethrows -> R {
        try ForwardRecorder.$current.withValue(self, operation: body)
    }
}
