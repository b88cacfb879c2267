import Dispatch
import Kernels

/// Where the gradient for one input of a recorded operation goes (PyTorch's `next_edges`): the operation that
/// produced the input, or the leaf tensor itself. Holding the producer rather than the input tensor lets every
/// intermediate tensor be freed as soon as nothing else uses it - only what a backward closure saved stays alive.
enum Edge {
    case node(Node)
    case leaf(Tensor)
}

/// One recorded operation in the autograd graph (PyTorch's `grad_fn` node): where its inputs came from and a
/// closure that maps the gradient of its output to gradients of those inputs.
final class Node {
    typealias Backward = (_ gradOutput: Tensor, _ needsGrad: [Bool]) -> [Tensor?]

    let name: String
    /// The profiler scope (module path) that was open when the operation ran, when a ``Profiler`` was active.
    let scope: String?
    /// One edge per input that needs a gradient (`nil` for inputs that do not, or absent optional arguments).
    let edges: [Edge?]
    /// The shape of each input, to check the gradients the closure returns.
    let inputShapes: [[Int]?]
    /// Which inputs require a gradient; the closure computes only those (PyTorch's `output_mask`).
    var needsGrad: [Bool] { edges.map { $0 != nil } }
    /// Freed after the first backward pass, as `retain_graph=False` does.
    private var backwardFunction: Backward?
    /// The tensors the closure reads, with their storage version when saved; released with the closure as soon as
    /// this node's backward has run (PyTorch frees saved variables then, unless `retain_graph=True`), so that a
    /// layer's saved activations are freed during the backward pass rather than when the whole graph goes.
    private var savedVersions: [(tensor: Tensor, version: Int)]

    init(name: String, inputs: [Tensor?], saved: [Tensor?], backward: @escaping Backward) {
        self.name = name
        scope = Profiler.current?.currentScope
        savedVersions = saved.compactMap { $0.map { ($0, $0.storage.version) } }
        edges = inputs.map { input in
            guard let input, input.requiresGrad else { return nil }
            return input.gradFn.map(Edge.node) ?? .leaf(input)
        }
        inputShapes = inputs.map { $0?.shape }
        backwardFunction = backward
    }

    func apply(_ gradOutput: Tensor) -> [Tensor?] {
        guard let backwardFunction else {
            fatalError(
                "Trying to backward through the graph a second time (or directly access saved tensors after they "
                    + "have already been freed): \(name)'s saved tensors were freed by the first backward()")
        }
        let saved = savedVersions
        (self.backwardFunction, savedVersions) = (nil, [])
        for (tensor, version) in saved where tensor.storage.version != version {
            fatalError(
                "one of the tensors needed for gradient computation has been modified by an inplace "
                    + "operation: a tensor of shape \(tensor.shape) saved by \(name) is at version "
                    + "\(tensor.storage.version); expected version \(version). Change it after backward(), or "
                    + "work on a copy()")
        }
        return backwardFunction(gradOutput, needsGrad)
    }
}

/// Records `output` as produced by an operation on `inputs` when grad mode is on and at least one input requires a
/// gradient; otherwise records nothing, so the backward closure (and what it captures) is dropped at once.
///
/// The closure must not capture `output` itself (that would be a reference cycle): capture `output.detach()`, and
/// list in `saved` every tensor whose values the closure reads, so that backward can refuse them if they were
/// changed in place in the meantime (PyTorch's saved-variable version check).
func record(
    _ name: String, output: Tensor, inputs: [Tensor?], saved: [Tensor?] = [],
    backward: @escaping Node.Backward
) {
    guard wouldRecord(inputs) else { return }
    output.requiresGrad = true
    output.gradFn = Node(name: name, inputs: inputs, saved: saved, backward: backward)
}

/// Whether an operation on these inputs would be recorded; lets an op skip saving state for backward.
func wouldRecord(_ inputs: [Tensor?]) -> Bool {
    GradMode.isEnabled && inputs.contains { $0?.requiresGrad ?? false }
}

extension Tensor {
    /// Computes the gradient of this tensor with respect to every leaf that requires grad, accumulating into their
    /// ``grad`` (`tensor.backward(gradient)`).
    ///
    /// - Parameter gradient: the gradient of some scalar with respect to `self`, same shape as `self`; may be
    ///   omitted for a one-element tensor (it is then 1).
    public func backward(gradient: Tensor? = nil) {
        require(requiresGrad, "backward() on a tensor that does not require grad and has no gradFn")
        let seed: Tensor
        if let gradient {
            require(
                gradient.shape == shape,
                "backward(gradient:) got shape \(gradient.shape) for a tensor of shape \(shape)")
            seed = gradient
        } else {
            require(count == 1, "grad can be implicitly created only for scalar outputs, got shape \(shape)")
            seed = Tensor.ones(shape)
        }
        guard let root = gradFn else {
            noGrad { accumulateGrad(seed) }
            return
        }
        let profiler = Profiler.current
        noGrad {
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
            for node in Tensor.topologicalOrder(from: root).reversed() {
                guard let gradOutput = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                let start = profiler == nil ? 0 : DispatchTime.now().uptimeNanoseconds
                var gradients = node.apply(gradOutput)
                let applied = profiler == nil ? 0 : DispatchTime.now().uptimeNanoseconds
                for (index, edge) in node.edges.enumerated() {
                    guard let edge, var gradient = gradients[index] else { continue }
                    gradients[index] = nil
                    require(
                        gradient.shape == node.inputShapes[index]!,
                        "\(node.name) returned a gradient of shape \(gradient.shape) for input \(index) "
                            + "of shape \(node.inputShapes[index]!)")
                    switch edge {
                    case .leaf(let leaf):
                        // Only this loop holds the gradient object (not another edge, not gradOutput, not the
                        // node): a leaf without a .grad may keep it, as PyTorch's AccumulateGrad steals it.
                        let unshared = isKnownUniquelyReferenced(&gradient) && gradient.ownsStorageExclusively
                        leaf.accumulateGrad(gradient, stealable: unshared)
                    case .node(let next):
                        let key = ObjectIdentifier(next)
                        pending[key] = pending[key].map { $0 + gradient } ?? gradient
                    }
                }
                if let profiler {
                    profiler.addBackward(scope: node.scope, op: node.name, nanoseconds: applied - start)
                    profiler.addBackward(
                        scope: node.scope, op: Profiler.gradientAccumulation,
                        nanoseconds: DispatchTime.now().uptimeNanoseconds - applied)
                }
            }
        }
    }

    /// Recorded operations reachable from `root`, every producer before its consumers.
    private static func topologicalOrder(from root: Node) -> [Node] {
        var order: [Node] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        // Iterative depth-first search: (node, index of the next edge to visit).
        var stack: [(Node, Int)] = [(root, 0)]
        while let (node, next) = stack.last {
            if next < node.edges.count {
                stack[stack.count - 1].1 = next + 1
                if case .node(let input)? = node.edges[next], visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(node)
                stack.removeLast()
            }
        }
        return order
    }

    /// Adds to ``grad`` (a leaf's accumulation, `AccumulateGrad`); the stored gradient owns its storage. When
    /// `stealable` (nothing else holds `gradient` or its storage) a first gradient is kept as it is, not copied.
    private func accumulateGrad(_ gradient: Tensor, stealable: Bool = false) {
        guard requiresGrad else { return }
        if let grad {
            require(
                grad.shape == shape,
                "the .grad of a tensor of shape \(shape) has shape \(grad.shape); cannot accumulate into it")
            grad.storage.version += 1
            Elementwise.accumulate(gradient.pointer, into: grad.pointer, count: count)
        } else if stealable, !gradient.requiresGrad {
            grad = gradient
        } else {
            grad = gradient.copy()
        }
    }
}
