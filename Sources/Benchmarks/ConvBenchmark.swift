import Foundation
import Tensors

/// Times conv2d forward and forward+backward (gradients for input and weight, no bias) on ResNet-18 layer
/// shapes, mirroring Fixtures/bench_conv_torch.py line for line so the two outputs can be read side by side.
public enum ConvBenchmark {
    /// A 3x3, padding-1, stride-1 convolution shape of ResNet-18.
    public struct Shape: Sendable {
        public let name: String
        public let inChannels: Int
        public let outChannels: Int
        public let size: Int

        public func forwardFLOPs(batch: Int) -> Double {
            2.0 * Double(batch * outChannels * size * size * inChannels * 9)
        }

        public func label(batch: Int) -> String {
            "\(name) \(inChannels)x\(outChannels)x3x3 \(size)x\(size) b\(batch)"
        }
    }

    /// layer1 (64->64 at 56x56) and layer4 (512->512 at 7x7).
    public static let shapes = [
        Shape(name: "layer1", inChannels: 64, outChannels: 64, size: 56),
        Shape(name: "layer4", inChannels: 512, outChannels: 512, size: 7),
    ]

    /// Runs one shape and returns its report line, e.g.
    /// `layer1 64x64x3x3 56x56 b8: fwd 12.3 ms (45.6 GFLOPS), fwd+bwd 40.1 ms (41.9 GFLOPS)`.
    public static func run(_ shape: Shape, batch: Int, warmup: Int, repeats: Int) -> String {
        func values(_ name: String, _ count: Int, bound: Float) -> [Float] {
            PortableRandom(name: name, seed: 0).symmetric(count, bound: bound)
        }
        let input = Tensor(
            shape: [batch, shape.inChannels, shape.size, shape.size],
            values: values("input", batch * shape.inChannels * shape.size * shape.size, bound: 1),
            requiresGrad: true)
        let weight = Tensor(
            shape: [shape.outChannels, shape.inChannels, 3, 3],
            values: values(
                "weight", shape.outChannels * shape.inChannels * 9,
                bound: (6 / Float(shape.inChannels * 9)).squareRoot()),
            requiresGrad: true)
        let gradOutput = Tensor(
            shape: [batch, shape.outChannels, shape.size, shape.size],
            values: values(
                "grad_output", batch * shape.outChannels * shape.size * shape.size,
                bound: 1))
        let forward = Timing.medianMilliseconds(warmup: warmup, repeats: repeats) {
            _ = conv2d(input, weight: weight, padding: 1)
        }
        let step = Timing.medianMilliseconds(warmup: warmup, repeats: repeats) {
            input.zeroGrad()
            weight.zeroGrad()
            conv2d(input, weight: weight, padding: 1).backward(gradient: gradOutput)
        }
        let flops = shape.forwardFLOPs(batch: batch)
        return "\(shape.label(batch: batch)): fwd \(String(format: "%.1f", forward)) ms "
            + "(\(String(format: "%.1f", flops / forward / 1e6)) GFLOPS), fwd+bwd \(String(format: "%.1f", step)) ms "
            + "(\(String(format: "%.1f", 3 * flops / step / 1e6)) GFLOPS)"
    }
}
