import Tensors

/// Runs its children in order, feeding each one's output to the next (`torch.nn.Sequential`); children are named
/// "0", "1", ... so state-dict keys match PyTorch's (`downsample.0.weight`).
public final class Sequential: Module {
    public init(_ modules: [Module]) {
        super.init()
        for (index, module) in modules.enumerated() { registerModule("\(index)", module) }
    }

    public convenience init(_ modules: Module...) { self.init(modules) }

    /// The child at `index` (`sequential[index]`).
    public subscript(index: Int) -> Module { requiredChild("\(index)") }

    public var count: Int { children.count }

    public override func forward(_ input: Tensor) -> Tensor {
        children.reduce(input) { x, module in module(x) }
    }
}
