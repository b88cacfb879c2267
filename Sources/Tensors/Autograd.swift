import Kernels

/// One recorded operation in the autograd graph (PyTorch's `grad_fn` node): the inputs it read and a closure that
/// maps the gradient of its output to gradients of those inputs.
final class Node {
    typealias Backward = (_ gradOutput: Tensor, _ needsGrad: [Bool]) -> [Tensor?]

    let name: String
    /// The op's tensor inputs, in argument order (`nil` for an absent optional argument).
    let inputs: [Tensor?]
    /// Which inputs require a gradient; the closure computes only those (PyTorch's `output_mask`).
    let needsGrad: [Bool]
    /// Freed after the first backward pass, as `retain_graph=False` does.
    private var backwardFunction: Backward?

    init(name: String, inputs: [Tensor?], needsGrad: [Bool], backward: @escaping Backward) {
        self.name = name
        self.inputs = inputs
        self.needsGrad = needsGrad
        self.backwardFunction = backward
    }

    func apply(_ gradOutput: Tensor) -> [Tensor?] {
        guard let backwardFunction else {
            fatalError(
                "Trying to backward through \(name) a second time: its saved tensors were freed by the first backward()")
        }
        self.backwardFunction = nil
        return backwardFunction(gradOutput, needsGrad)
    }
}

/// Records `output` as produced by an operation on `inputs` when grad mode is on and at least one input requires a
/// gradient; otherwise records nothing, so the backward closure (and what it captures) is dropped at once.
///
/// The closure must not capture `output` itself (that would be a reference cycle): capture `output.detach()`.
func record(
    _ name: String, output: Tensor, inputs: [Tensor?], backward: @escaping Node.Backward
) {
    guard GradMode.isEnabled else { return }
    let needsGrad = inputs.map { $0?.requiresGrad ?? false }
    guard needsGrad.contains(true) else { return }
    output.requiresGrad = true
    output.gradFn = Node(name: name, inputs: inputs, needsGrad: needsGrad, backward: backward)
}

/// Whether an operation on these inputs would be recorded; lets an op skip saving state for backward.
func wouldRecord(_ inputs: Tensor?...) -> Bool {
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
            require(gradient.shape == shape,
                         "backward(gradient:) got shape \(gradient.shape) for a tensor of shape \(shape)")
            seed = gradient
        } else {
            require(count == 1, "grad can be implicitly created only for scalar outputs, got shape \(shape)")
            seed = Tensor.ones(shape)
        }
        noGrad {
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
            for tensor in topologicalOrder().reversed() {
                guard let gradOutput = pending.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
                guard let node = tensor.gradFn else {
                    tensor.accumulateGrad(gradOutput)
                    continue
                }
                let gradients = node.apply(gradOutput)
                for (index, input) in node.inputs.enumerated() where node.needsGrad[index] {
                    guard let input, let gradient = gradients[index] else { continue }
                    require(gradient.shape == input.shape,
                                 "\(node.name) returned a gradient of shape \(gradient.shape) for input \(index) "
                                 + "of shape \(input.shape)")
                    let key = ObjectIdentifier(input)
                    pending[key] = pending[key].map { $0 + gradient } ?? gradient
                }
            }
        }
    }

    /// Tensors reachable from `self` through recorded inputs that need a gradient, every input before its users.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(self)]
        // Iterative depth-first search: (tensor, index of the next input to visit).
        var stack: [(Tensor, Int)] = [(self, 0)]
        while let (tensor, next) = stack.last {
            let inputs = tensor.gradFn?.inputs ?? []
            if next < inputs.count {
                stack[stack.count - 1].1 = next + 1
                if let input = inputs[next], tensor.gradFn!.needsGrad[next],
                   visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(tensor)
                stack.removeLast()
            }
        }
        return order
    }

    /// Adds to ``grad`` (a leaf's accumulation, `AccumulateGrad`); the stored gradient owns its storage.
    private func accumulateGrad(_ gradient: Tensor) {
        guard requiresGrad else { return }
        if let grad {
            Elementwise.accumulate(gradient.pointer, into: grad.pointer, count: count)
        } else {
            grad = gradient.copy()
        }
    }
}
