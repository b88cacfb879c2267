import Tensors

/// The base class of every layer and model, mirroring `torch.nn.Module`: parameters, buffers and submodules are
/// registered under explicit names (the state-dict keys), `train()` / `eval()` recurse, and calling a module runs
/// its ``forward(_:)``.
///
/// Subclasses register their tensors and children in `init`, once each and in PyTorch's attribute order (which fixes
/// the state-dict key order). Layers expose their tensors through computed properties backed by the registry; models
/// keep typed children as stored properties, and a replaceable child re-registers itself under the same name when
/// set (`model.fc = Linear(...)`), so the replacement is seen by ``namedParameters()``, ``stateDict()`` and
/// ``loadStateDict(_:strict:)``.
open class Module {
    /// Whether the module is in training mode (`module.training`).
    public private(set) var training = true
    private var parameterSlots: [(name: String, tensor: Tensor?)] = []
    private var bufferSlots: [(name: String, tensor: Tensor?, dtype: StateDType)] = []
    private var childSlots: [(name: String, module: Module)] = []

    public init() {}

    /// The computation; subclasses override it. Call the module itself (`module(x)`) rather than this.
    open func forward(_ input: Tensor) -> Tensor {
        fatalError("\(typeName) does not override forward(_:)")
    }

    /// Runs ``forward(_:)`` - timed when a ``ModuleProfiler`` is active - and reports the output to an active
    /// ``ForwardRecorder`` (PyTorch's forward hooks).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let output = ModuleProfiler.current.map { $0.forward(self) { forward(input) } } ?? forward(input)
        ForwardRecorder.current?.record(self, input: input, output)
        return output
    }

    /// The class name as PyTorch prints it, e.g. `Conv2d`.
    open var typeName: String { String(describing: type(of: self)) }

    /// The layer's arguments for ``summary()``, e.g. `3, 64, kernel_size=(7, 7), stride=(2, 2)`.
    open var extraDescription: String { "" }

    // MARK: Registration

    /// Adds or replaces the parameter `name` (`register_parameter`); `nil` registers an absent one (`bias=False`).
    public func registerParameter(_ name: String, _ tensor: Tensor?) {
        if let i = parameterSlots.firstIndex(where: { $0.name == name }) {
            parameterSlots[i].tensor = tensor
        } else {
            parameterSlots.append((name, tensor))
        }
    }

    /// Adds or replaces the buffer `name` (`register_buffer`): state that is saved but not trained.
    public func registerBuffer(_ name: String, _ tensor: Tensor?, dtype: StateDType = .float32) {
        if let i = bufferSlots.firstIndex(where: { $0.name == name }) {
            bufferSlots[i] = (name, tensor, dtype)
        } else {
            bufferSlots.append((name, tensor, dtype))
        }
    }

    /// Adds or replaces the child module `name` (`add_module`, or attribute assignment in PyTorch).
    public func registerModule(_ name: String, _ module: Module) {
        require(!name.isEmpty && !name.contains("."), "invalid module name '\(name)'")
        if let i = childSlots.firstIndex(where: { $0.name == name }) {
            childSlots[i].module = module
        } else {
            childSlots.append((name, module))
        }
    }

    /// The parameter registered as `name`, if present.
    public func parameter(_ name: String) -> Tensor? { parameterSlots.first { $0.name == name }?.tensor }

    /// The buffer registered as `name`, if present.
    public func buffer(_ name: String) -> Tensor? { bufferSlots.first { $0.name == name }?.tensor }

    /// The child registered as `name` (`getattr(module, name)`).
    public func child(_ name: String) -> Module? { childSlots.first { $0.name == name }?.module }

    /// A registered parameter for typed accessors; its absence is a programming error.
    public func requiredParameter(_ name: String) -> Tensor {
        guard let tensor = parameter(name) else { fatalError("\(typeName) has no parameter '\(name)'") }
        return tensor
    }

    /// A registered child for typed accessors; its absence is a programming error.
    public func requiredChild(_ name: String) -> Module {
        guard let module = child(name) else { fatalError("\(typeName) has no submodule '\(name)'") }
        return module
    }

    // MARK: Traversal

    /// Direct children with their names, in registration order (`named_children()`).
    public var namedChildren: [(String, Module)] { childSlots.map { ($0.name, $0.module) } }

    /// Direct children (`children()`).
    public var children: [Module] { childSlots.map(\.module) }

    /// This module (named `prefix`, "" for the root) and every descendant, depth first, each module once even
    /// when it is registered under several names (`named_modules()` with `remove_duplicate=True`).
    public func namedModules(prefix: String = "") -> [(String, Module)] {
        var seen: Set<ObjectIdentifier> = []
        return collectModules(prefix: prefix, seen: &seen, removeDuplicates: true)
    }

    /// Every registered (path, module), duplicates included: what `state_dict()` walks.
    func allNamedModules(prefix: String = "") -> [(String, Module)] {
        var seen: Set<ObjectIdentifier> = []
        return collectModules(prefix: prefix, seen: &seen, removeDuplicates: false)
    }

    private func collectModules(
        prefix: String, seen: inout Set<ObjectIdentifier>,
        removeDuplicates: Bool
    ) -> [(String, Module)] {
        guard !removeDuplicates || seen.insert(ObjectIdentifier(self)).inserted else { return [] }
        var result: [(String, Module)] = [(prefix, self)]
        for (name, child) in namedChildren {
            result += child.collectModules(
                prefix: prefix.isEmpty ? name : "\(prefix).\(name)", seen: &seen,
                removeDuplicates: removeDuplicates)
        }
        return result
    }

    /// Every parameter with its dotted name, this module's first, then each child's, each tensor once
    /// (`named_parameters()`).
    public func namedParameters(prefix: String = "") -> [(String, Tensor)] {
        var seen: Set<ObjectIdentifier> = []
        return namedModules(prefix: prefix).flatMap { path, module in
            module.ownParameters(path: path).filter { seen.insert(ObjectIdentifier($0.1)).inserted }
        }
    }

    /// This module's own parameters (not its children's), named under `path`.
    func ownParameters(path: String) -> [(String, Tensor)] {
        parameterSlots.compactMap { slot in slot.tensor.map { (join(path, slot.name), $0) } }
    }

    /// This module's own buffers (not its children's), named under `path`.
    func ownBuffers(path: String) -> [(String, Tensor)] {
        bufferSlots.compactMap { slot in slot.tensor.map { (join(path, slot.name), $0) } }
    }

    /// Every parameter (`parameters()`).
    public func parameters() -> [Tensor] { namedParameters().map(\.1) }

    /// The parameters that require grad: what an optimizer should receive.
    public func trainableParameters() -> [Tensor] { parameters().filter(\.requiresGrad) }

    /// Every buffer with its dotted name (`named_buffers()`).
    public func namedBuffers(prefix: String = "") -> [(String, Tensor)] {
        namedModules(prefix: prefix).flatMap { path, module in module.ownBuffers(path: path) }
    }

    /// The dtype each buffer is saved with (state-dict key -> dtype); parameters are float32.
    public func bufferDTypes(prefix: String = "") -> [String: StateDType] {
        var result: [String: StateDType] = [:]
        for (path, module) in namedModules(prefix: prefix) {
            for slot in module.bufferSlots where slot.tensor != nil { result[join(path, slot.name)] = slot.dtype }
        }
        return result
    }

    // MARK: Modes and freezing

    /// Sets training mode on this module and every descendant (`train(mode)`); returns self for chaining.
    @discardableResult
    public func train(_ mode: Bool = true) -> Self {
        for (_, module) in namedModules() { module.training = mode }
        return self
    }

    /// Evaluation mode (`eval()`): batch-norm uses running statistics and stops updating them, dropout is off.
    @discardableResult
    public func eval() -> Self { train(false) }

    /// Stops gradients for every parameter below this module (`requires_grad_(False)` on each).
    @discardableResult
    public func freeze() -> Self {
        for parameter in parameters() { parameter.requiresGrad = false }
        return self
    }

    /// Lets gradients flow to every parameter below this module again (`requires_grad_(True)`).
    @discardableResult
    public func unfreeze() -> Self {
        for parameter in parameters() { parameter.requiresGrad = true }
        return self
    }

    /// Forgets every parameter's gradient (`zero_grad(set_to_none=True)`).
    public func zeroGrad() {
        for parameter in parameters() { parameter.zeroGrad() }
    }

    /// Number of parameter elements, all or only trainable ones (`sum(p.numel() for p in ...)`).
    public func parameterCount(trainableOnly: Bool = false) -> Int {
        parameters().filter { !trainableOnly || $0.requiresGrad }.reduce(0) { $0 + $1.count }
    }

    private func join(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }
}

/// The element type a state-dict entry is saved with. Tensors compute in float32; integer buffers such as
/// `num_batches_tracked` are int64 in PyTorch's files.
public enum StateDType: String, Sendable {
    case float32, int64
}
