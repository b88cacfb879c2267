import Foundation
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

    /// `resnet18 b8x224 full step: 583.4 ms, 13.7 img/s, 88.8 GFLOPS`.
    public static func line(_ name: String, milliseconds ms: Double, batch: Int, flops: Int) -> String {
        "resnet18 \(name): \(String(format: "%.1f", ms)) ms, "
            + "\(String(format: "%.1f", Double(batch) / ms * 1000)) img/s, "
            + "\(String(format: "%.1f", Double(flops) / ms / 1e6)) GFLOPS"
    }
}
