import Golden
import NN
import Optim
import Tensors

/// One benchmark case ready to run: a full-size resnet18 (seeded), its input batch and, for a training step, an
/// SGD optimizer over the parameters the case's ``TransferSetting`` trains. ``run()`` is one timed unit (an
/// inference forward, or forward + loss + backward + step + zero_grad); ``runProfiled(_:)`` is the same with the
/// loss and the optimizer as scopes of their own, for a ``ModuleProfiler``.
public final class ModelWorkload {
    public let benchmarkCase: ModelBenchmark.Case
    public let batch: Int
    public let size: Int
    public let model: ResNet
    private let input: Tensor
    private let target: [Int]
    private let optimizer: SGD?

    /// The scope the loss is timed under.
    public static let lossScope = "(loss)"
    /// The scope the optimizer's step and zero_grad are timed under.
    public static let optimizerScope = "(optimizer)"

    public init(_ benchmarkCase: ModelBenchmark.Case, batch: Int, size: Int) {
        ManualSeed.set(0)
        self.benchmarkCase = benchmarkCase
        self.batch = batch
        self.size = size
        model = resnet18()
        input = PortableInit.input(shape: [batch, 3, size, size], seed: 1)
        target = (0..<batch).map { $0 % 1000 }
        if let setting = benchmarkCase.setting {
            setting.apply(to: model)
            optimizer = SGD(parameters: model.trainableParameters(), lr: 0.001, momentum: 0.9)
        } else {
            model.eval()
            optimizer = nil
        }
    }

    /// `b8x224 full step`: the shape and the case, the name a baseline keys the case by.
    public var name: String { "b\(batch)x\(size) \(benchmarkCase.rawValue)" }

    /// One unit of work: inference under no_grad, or one training step.
    public func run() {
        guard let optimizer else {
            _ = noGrad { model(input) }
            return
        }
        crossEntropy(model(input), target: target).backward()
        optimizer.step()
        optimizer.zeroGrad()
    }

    /// ``run()`` with `profiler` recording every module forward and backward, and the loss and the optimizer under
    /// ``lossScope`` and ``optimizerScope``.
    public func runProfiled(_ profiler: ModuleProfiler) {
        profiler.profiling {
            guard let optimizer else {
                _ = noGrad { model(input) }
                return
            }
            let output = model(input)
            let loss = Profiler.scope(ModelWorkload.lossScope, op: "crossEntropy") {
                crossEntropy(output, target: target)
            }
            loss.backward()
            Profiler.scope(ModelWorkload.optimizerScope, op: "SGD.step") { optimizer.step() }
            Profiler.scope(ModelWorkload.optimizerScope, op: "zeroGrad") { optimizer.zeroGrad() }
        }
    }
}
