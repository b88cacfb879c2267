import NN
import Tensors

/// Deterministic weights that Python (Fixtures/tlref/portable.py) computes bit for bit alike, so that model
/// traces can be replayed without storing initial weights. Each state-dict entry draws from its own
/// ``PortableRandom`` stream named by its key:
/// - convolution weights `(u * 2 - 1) * sqrt(6 / fan_out)` (the variance of kaiming_normal_ fan_out);
/// - batch norm `weight = u * 0.5 + 0.75`, `bias`, `running_mean = (u * 2 - 1) * 0.2`, `running_var = u + 0.5`,
///   `num_batches_tracked = 0`;
/// - linear `weight` and `bias` `(u * 2 - 1) / sqrt(in)`.
/// With `zeroInitResidual`, the last batch norm of every residual branch (BasicBlock.bn2, Bottleneck.bn3) then
/// gets weight 0, as torchvision's `zero_init_residual=True` and `portable_init_` do.
public enum PortableInit {
    /// Overwrites every parameter and buffer of `model` in place.
    public static func apply(to model: Module, seed: UInt64, zeroInitResidual: Bool = false) {
        for (path, module) in model.namedModules() {
            let key = { (name: String) in path.isEmpty ? name : "\(path).\(name)" }
            let stream = { (name: String) in PortableRandom(name: key(name), seed: seed) }
            switch module {
            case let conv as Conv2d:
                let fanOut = conv.outChannels * conv.kernelSize.height * conv.kernelSize.width
                let bound = Float((6 / Double(fanOut)).squareRoot())
                fill(conv.weight, stream("weight").symmetric(conv.weight.count, bound: bound))
                if let bias = conv.bias { fill(bias, stream("bias").symmetric(bias.count, bound: bound)) }
            case let norm as BatchNorm2d:
                if let weight = norm.weight { fill(weight, stream("weight").values(weight.count) { $0 * 0.5 + 0.75 }) }
                if let bias = norm.bias { fill(bias, stream("bias").symmetric(bias.count, bound: 0.2)) }
                if let mean = norm.runningMean { fill(mean, stream("running_mean").symmetric(mean.count, bound: 0.2)) }
                if let variance = norm.runningVar {
                    fill(variance, stream("running_var").values(variance.count) { $0 + 0.5 })
                }
                if norm.trackRunningStats { norm.numBatchesTracked = 0 }
            case let linear as Linear:
                let bound = Float(1 / Double(linear.inFeatures).squareRoot())
                fill(linear.weight, stream("weight").symmetric(linear.weight.count, bound: bound))
                if let bias = linear.bias { fill(bias, stream("bias").symmetric(bias.count, bound: bound)) }
            default:
                continue
            }
        }
        guard zeroInitResidual else { return }
        for (_, module) in model.namedModules() {
            if let block = module as? BasicBlock, let weight = block.bn2.weight {
                fill(weight, [Float](repeating: 0, count: weight.count))
            }
            if let block = module as? Bottleneck, let weight = block.bn3.weight {
                fill(weight, [Float](repeating: 0, count: weight.count))
            }
        }
    }

    /// A portable input batch: `(u * 2 - 1) * 2` from the stream named "input".
    public static func input(shape: [Int], seed: UInt64) -> Tensor {
        Tensor(shape: shape, values: PortableRandom(name: "input", seed: seed).symmetric(shape.reduce(1, *), bound: 2))
    }

    private static func fill(_ tensor: Tensor, _ values: [Float]) {
        tensor.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<buffer.count { buffer[i] = values[i] }
        }
    }
}
