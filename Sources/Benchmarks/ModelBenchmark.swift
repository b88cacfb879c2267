import Foundation
import Kernels
import NN
import Tensors

/// Times resnet18 the way Fixtures/bench_model_torch.py times PyTorch: inference, a full fine-tune step, a
/// frozen-backbone step (fc only, train mode) and a layer4+fc step, each the median of repeated runs after warm-up.
/// Achieved GFLOPS are the operations of one more (untimed) run, counted by ``FLOPCounter`` (the peer counts
/// with `torch.utils.flop_counter.FlopCounterMode`, by the same rules), over the median time.
public enum ModelBenchmark {
    /// What is timed.
    public enum Case: String, CaseIterable, Sendable, Codable {
        case inference
        case fullStep = "full step"
        case frozenStep = "frozen step"
        case layer4Step = "layer4+fc step"

        /// The transfer setting a training step case times (nil for inference).
        public var setting: TransferSetting? {
            switch self {
            case .inference: return nil
            case .fullStep: return .fineTune
            case .frozenStep: return .featureExtraction
            case .layer4Step: return .layer4
            }
        }
    }

    /// Times one case and returns its report line, e.g. `resnet18 b8x224 full step: 583.4 ms, 13.7 img/s, 88.8 GFLOPS`.
    public static func run(_ benchmarkCase: Case, batch: Int, size: Int, warmup: Int, repeats: Int) -> String {
        let workload = ModelWorkload(benchmarkCase, batch: batch, size: size)
        let ms = Timing.medianMilliseconds(warmup: warmup, repeats: repeats, workload.run)
        let counter = FLOPCounter()
        counter.count(workload.run)
        return line(workload.name, milliseconds: ms, batch: batch, flops: counter.total)
    }

    /// What a case is timed against in one process (``runAgainst(_:_:batch:size:warmup:repeats:)``).
    public enum Alternative: String, CaseIterable, Sendable {
        /// The same workload inside ``EvalFusion/disabled(_:)``: no eval fusion, no channels-last stages.
        case moduleByModule = "module by module"
        /// The same workload with oneDNN's direct convolution kernels where the engine picks Winograd
        /// (``ConvolutionPrimitive/prefersWinograd(_:_:weightsPrepared:)`` off).
        case directConvolution = "direct convolution"

        func callAsFunction(_ body: () -> Void) {
            switch self {
            case .moduleByModule: EvalFusion.disabled(body)
            case .directConvolution: Convolution.$winogradAllowed.withValue(false, operation: body)
            }
        }
    }

    /// Times one case against an alternative path in the same process, alternating run by run: the model's own
    /// path and the same workload on `alternative`. A slow moment of a shared machine then falls on both sides of a
    /// pair, which whole-process A/Bs here cannot promise (the same binary's runs vary by 10-20%). Returns e.g.
    /// `resnet18 b8x224 full step: own path 283.5 ms, module by module 290.7 ms (medians of 15); own / module by
    /// module 0.975 (median of the 15 pairs' ratios)`.
    public static func runAgainst(
        _ alternative: Alternative, _ benchmarkCase: Case, batch: Int, size: Int, warmup: Int, repeats: Int
    ) -> String {
        let workload = ModelWorkload(benchmarkCase, batch: batch, size: size)
        for _ in 0..<warmup {
            workload.run()
            alternative { workload.run() }
        }
        var (own, other): ([Double], [Double]) = ([], [])
        for _ in 0..<max(repeats, 1) {
            // The module-by-module path drops what the own path keeps between runs (eval-mode folded weights and
            // their Winograd transform): one untimed own run first puts it back, so that each timed one measures the
            // steady state, as the plain benchmark does.
            workload.run()
            own.append(Timing.milliseconds(workload.run))
            other.append(Timing.milliseconds { alternative { workload.run() } })
        }
        let ratio = Timing.median(zip(own, other).map { $0 / $1 })
        let name = alternative.rawValue
        return "resnet18 \(workload.name): own path \(String(format: "%.1f", Timing.median(own))) ms, \(name) "
            + "\(String(format: "%.1f", Timing.median(other))) ms (medians of \(own.count)); own / \(name) "
            + "\(String(format: "%.3f", ratio)) (median of the \(own.count) pairs' ratios)"
    }

    /// `resnet18 b8x224 full step: 583.4 ms, 13.7 img/s, 88.8 GFLOPS`.
    public static func line(_ name: String, milliseconds ms: Double, batch: Int, flops: Int) -> String {
        "resnet18 \(name): \(String(format: "%.1f", ms)) ms, "
            + "\(String(format: "%.1f", Double(batch) / ms * 1000)) img/s, "
            + "\(String(format: "%.1f", Double(flops) / ms / 1e6)) GFLOPS"
    }
}
