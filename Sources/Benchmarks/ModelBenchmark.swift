import Foundation
import Golden
import NN
import Optim
import Tensors

/// Times resnet18 the way Fixtures/bench_model_torch.py times PyTorch: inference, a full fine-tune step, a
/// frozen-backbone step (fc only, train mode) and a layer4+fc step, each the median of repeated runs after warm-up.
/// Achieved GFLOPS are the operations of one more (untimed) run, counted by ``FLOPCounter`` (the peer counts
/// with `torch.utils.flop_counter.FlopCounterMode`, by the same rules), over the median time.
public enum ModelBenchmark {
    /// What is timed.
    public enum Case: String, CaseIterable, Sendable {
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
        ManualSeed.set(0)
        let model = resnet18()
        let input = PortableInit.input(shape: [batch, 3, size, size], seed: 1)
        let target = (0..<batch).map { $0 % 1000 }
        var body: () -> Void
        switch benchmarkCase {
        case .inference:
            model.eval()
            body = { _ = noGrad { model(input) } }
        case .fullStep, .frozenStep, .layer4Step:
            benchmarkCase.setting?.apply(to: model)
            let optimizer = SGD(parameters: model.trainableParameters(), lr: 0.001, momentum: 0.9)
            body = {
                crossEntropy(model(input), target: target).backward()
                optimizer.step()
                optimizer.zeroGrad()
            }
        }
        let ms = Timing.medianMilliseconds(warmup: warmup, repeats: repeats, body)
        let counter = FLOPCounter()
        counter.count(body)
        return "resnet18 b\(batch)x\(size) \(benchmarkCase.rawValue): \(String(format: "%.1f", ms)) ms, "
            + "\(String(format: "%.1f", Double(batch) / ms * 1000)) img/s, "
            + "\(String(format: "%.1f", Double(counter.total) / ms / 1e6)) GFLOPS"
    }
}
