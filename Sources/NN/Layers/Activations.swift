import Tensors

/// `max(x, 0)` element-wise (`torch.nn.ReLU`). Shape: any -> same. (`inplace` has no meaning here: results are
/// always new tensors.)
public final class ReLU: Module {
    public override init() { super.init() }
    public override func forward(_ input: Tensor) -> Tensor { relu(input) }
}

/// Returns its input (`torch.nn.Identity`), e.g. to remove a classifier head and expose features.
public final class Identity: Module {
    public override init() { super.init() }
    public override func forward(_ input: Tensor) -> Tensor { input }
}

/// Merges dimensions `startDim...endDim` (`torch.nn.Flatten`, default `startDim: 1`).
/// Shape: `[N, C, H, W]` -> `[N, C * H * W]`.
public final class Flatten: Module {
    public let startDim: Int
    public let endDim: Int

    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { input.flatten(startDim: startDim, endDim: endDim) }
    public override var extraDescription: String { "start_dim=\(startDim), end_dim=\(endDim)" }
}

/// Randomly zeroes elements with probability `p` in training mode and scales the rest by `1 / (1 - p)`
/// (`torch.nn.Dropout`); seeded: each call draws the next stream of ``ManualSeed`` unless a seed is given.
public final class Dropout: Module {
    public let p: Float
    private let seed: UInt64?
    private var calls: UInt64 = 0

    public init(p: Float = 0.5, seed: UInt64? = nil) {
        require((0...1).contains(p), "dropout probability has to be between 0 and 1, but got \(p)")
        self.p = p
        self.seed = seed
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        guard training else { return input }
        calls += 1
        let random = seed.map { PortableRandom(name: "Dropout#\(calls)", seed: $0) } ?? ManualSeed.nextStream("Dropout")
        return dropout(input, p: p, training: true, random: random)
    }

    public override var extraDescription: String { "p=\(p)" }
}
