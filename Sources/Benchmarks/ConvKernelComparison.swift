import Foundation
import Kernels
import Tensors

/// Times each distinct convolution of ResNet-18 at one input batch, im2col + `dnnl_sgemm` against oneDNN's
/// convolution primitive (``ConvolutionAlgorithm``), per direction: the measurement behind
/// ``ConvolutionAlgorithm/automatic``'s choice (BENCHMARKS.md's per-shape table).
///
/// Each kernel is called directly on raw buffers (no tape), with the whole batch on the engine's pool, as the
/// model calls it.
public enum ConvKernelComparison {
    /// The distinct convolutions of ResNet-18 (width 64) on `batch` images of `size` x `size`: the 7x7 stem, then
    /// per stage its first 3x3 (stride 2 from layer2 on), its 1x1 stride-2 downsample and its stride-1 3x3.
    public static func resnet18Shapes(batch: Int, size: Int) -> [(name: String, geometry: ConvGeometry)] {
        let stem = ConvGeometry(
            batch: batch, inChannels: 3, height: size, width: size, outChannels: 64, kernelHeight: 7, kernelWidth: 7,
            strideH: 2, strideW: 2, padH: 3, padW: 3)
        var result = [("conv1", stem)]
        // Max pooling 3x3, stride 2, padding 1 after the stem.
        var plane = (stem.outHeight + 2 - 3) / 2 + 1
        var channels = 64
        for (stage, width) in [64, 128, 256, 512].enumerated() {
            let stride = stage == 0 ? 1 : 2
            func conv(_ c: Int, _ k: Int, _ s: Int, _ p: Int) -> ConvGeometry {
                ConvGeometry(
                    batch: batch, inChannels: c, height: plane, width: plane, outChannels: width, kernelHeight: k,
                    kernelWidth: k, strideH: s, strideW: s, padH: p, padW: p)
            }
            let name = "layer\(stage + 1)"
            if stride == 2 {
                result.append(("\(name) 3x3 s2", conv(channels, 3, 2, 1)))
                result.append(("\(name) 1x1 s2", conv(channels, 1, 2, 0)))
                plane = conv(channels, 3, 2, 1).outHeight
            }
            result.append(("\(name) 3x3", conv(width, 3, 1, 1)))
            channels = width
        }
        return result
    }

    /// One table row per shape: `| b8x224 | layer1 3x3 64->64 56x56 | fwd gemm / primitive ms | ... |`, each
    /// figure the median of `repeats` after `warmup`, and the kernel ``ConvolutionAlgorithm/automatic`` picks.
    public static func rows(batch: Int, size: Int, warmup: Int, repeats: Int) -> [String] {
        resnet18Shapes(batch: batch, size: size).map { name, g in
            func values(_ what: String, _ count: Int, bound: Float) -> [Float] {
                PortableRandom(name: "\(name) \(what)", seed: 0).symmetric(count, bound: bound)
            }
            let x = values("input", g.batch * g.inChannels * g.height * g.width, bound: 1)
            let w = values("weight", g.outChannels * g.columnRows, bound: (6 / Float(g.columnRows)).squareRoot())
            let gy = values("grad_output", g.batch * g.outChannels * g.outPlane, bound: 1)
            var (y, gx, gw) = (
                [Float](repeating: 0, count: gy.count), [Float](repeating: 0, count: x.count),
                [Float](repeating: 0, count: w.count)
            )
            let workspace = Workspace()
            func time(_ direction: ConvolutionDirection, _ algorithm: ConvolutionAlgorithm) -> Double {
                Timing.medianMilliseconds(warmup: warmup, repeats: repeats) {
                    switch direction {
                    case .forward:
                        Convolution.forward(
                            input: x, weight: w, bias: nil, output: &y, geometry: g, workspace: workspace,
                            backend: .oneDNN, algorithm: algorithm)
                    case .backwardData:
                        Convolution.backward(
                            gradOutput: gy, input: x, weight: w, gradInput: &gx, gradWeight: nil, gradBias: nil,
                            geometry: g, workspace: workspace, backend: .oneDNN, algorithm: algorithm)
                    case .backwardWeights:
                        Convolution.backward(
                            gradOutput: gy, input: x, weight: w, gradInput: nil, gradWeight: &gw, gradBias: nil,
                            geometry: g, workspace: workspace, backend: .oneDNN, algorithm: algorithm)
                    }
                }
            }
            let cells = ConvolutionDirection.allCases.map { direction -> String in
                let (gemm, primitive) = (time(direction, .gemm), time(direction, .primitive))
                let pick = Convolution.usesPrimitive(direction, g, .oneDNN, .automatic) ? "primitive" : "gemm"
                return String(format: "%.2f / %.2f (%.2fx, %@)", gemm, primitive, primitive / gemm, pick)
            }
            let label =
                "\(name) \(g.kernelHeight)x\(g.kernelWidth) \(g.inChannels)->\(g.outChannels) \(g.height)x\(g.width)"
            return "| b\(batch)x\(size) | \(label) | " + cells.joined(separator: " | ") + " |"
        }
    }

    /// The table's header (markdown).
    public static let header = [
        "| input | convolution | forward ms: gemm / primitive | backward data | backward weights |",
        "|---|---|---|---|---|",
    ]
}
