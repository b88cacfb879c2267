import Foundation
import NN
import Optim
import Tensors

/// Times resnet18 the way Fixtures/bench_model_torch.py times PyTorch: inference, a full fine-tune step, a
/// frozen-backbone step (fc only, train mode) and a layer4+fc step, each the median of repeated runs after warm-up.
public enum ModelBenchmark {
    /// What is timed.
    public enum Case: String, CaseIterable, Sendable {
        case inference
        case fullStep = "full step"
        case frozenStep = "frozen step"
        case layer4Step = "layer4+fc step"
    }

    /// Forward multiply-accumulates per image of resnet18 at `size` x `size` (1.82 GMAC at 224), scaled by area.
    public static func forwardMACs(size: Int) -> Double { 1.8186e9 * Double(size * size) / (224.0 * 224.0) }

    /// Times one case and returns its report line, e.g. `resnet18 b8x224 inference: 339.0 ms, 23.6 img/s, 85.9 GFLOPS`.
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
            model.train()
            if benchmarkCase != .fullStep {
                model.freeze()
                model.fc.unfreeze()
                if benchmarkCase == .layer4Step { model.layer(4).unfreeze() }
            }
            let optimizer = SGD(parameters: model.trainableParameters(), lr: 0.001, momentum: 0.9)
            body = {
                crossEntropy(model(input), target: target).backward()
                optimizer.step()
                optimizer.zeroGrad()
            }
        }
        let ms = Timing.medianMilliseconds(warmup: warmup, repeats: repeats, body)
        var line = "resnet18 b\(batch)x\(size) \(benchmarkCase.rawValue): \(String(format: "%.1f", ms)) ms, "
            + "\(String(format: "%.1f", Double(batch) / ms * 1000)) img/s"
        if benchmarkCase == .inference {
            line += ", \(String(format: "%.1f", 2 * forwardMACs(size: size) * Double(batch) / ms / 1e6)) GFLOPS"
        }
        return line
    }
}
