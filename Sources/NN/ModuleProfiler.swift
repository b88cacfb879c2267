import Tensors

/// Times every submodule of a model forward and backward, by its dotted name (`layer3.1.conv2`): the module layer
/// of a ``Profiler``. Each module's forward is a scope of its own (self time: its children excluded), and every
/// autograd node a module creates is timed in backward under that module's name - what `torch.profiler` shows with
/// its module hierarchy.
///
/// ```swift
/// let profiler = ModuleProfiler(root: model)
/// profiler.profiling { crossEntropy(model(x), target: y).backward() }
/// profiler.profiler.entries   // [Key(scope: "layer1.0.conv1", phase: .forward, op: "Conv2d"): ...]
/// ```
///
/// Calling modules costs one task-local lookup when no profiler is active.
public final class ModuleProfiler {
    @TaskLocal static var current: ModuleProfiler?

    /// The scope name of the root module itself (its own forward, outside its children: flatten, ...).
    public static let rootScope = "(root)"

    private let names: [ObjectIdentifier: String]
    /// The recorded entries.
    public let profiler = Profiler()

    /// Names every module under `root` (the root as ``rootScope``).
    public init(root: Module) {
        var names: [ObjectIdentifier: String] = [:]
        for (name, module) in root.namedModules() {
            names[ObjectIdentifier(module)] = name.isEmpty ? ModuleProfiler.rootScope : name
        }
        self.names = names
    }

    /// Runs `body` with module timing on.
    public func profiling<R>(_ body: () throws -> R) rethrows -> R {
        try ModuleProfiler.$current.withValue(self) { try profiler.profiling(body) }
    }

    /// Runs `module`'s forward as its scope, or plainly when the module is not one of the root's.
    func forward(_ module: Module, _ body: () -> Tensor) -> Tensor {
        guard let name = names[ObjectIdentifier(module)] else { return body() }
        return Profiler.scope(name, op: module.typeName, body)
    }
}
