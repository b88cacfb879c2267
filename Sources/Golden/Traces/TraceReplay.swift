import NN
import Optim
import Tensors

/// Replays a ``TraceFile`` in this engine - the same model, initial weights, freezing, input, loss and optimizer -
/// and compares everything PyTorch recorded, in the order it happened.
public enum TraceReplay {
    /// One comparison, labelled with the phase it belongs to (`forward`, `loss`, `grads`, `step 2`).
    public struct Check {
        public let phase: String
        public let comparison: TensorComparison
        /// PyTorch's own float32-vs-float64 error for this tensor, when the trace records it.
        public var float64Error: Float? = nil
    }

    /// The model a trace describes, with torchvision's structure and the trace's width and classes.
    public static func makeModel(_ configuration: TraceFile.Configuration, path: String) throws -> ResNet {
        let c = configuration
        guard let architecture = ResNetArchitecture(rawValue: c.model) else {
            throw TraceError.unknownModel(path: path, model: c.model)
        }
        return architecture.make(
            numClasses: c.numClasses, zeroInitResidual: c.zeroInitResidual,
            baseChannels: c.baseWidth)
    }

    /// The trace's transfer setting (its `configuration` attribute in the generator's names).
    static func setting(_ configuration: TraceFile.Configuration, path: String) throws -> TransferSetting {
        guard let setting = TransferSetting(generatorName: configuration.configuration), setting != .scratch else {
            throw TraceError.malformed(
                path: path, item: "/",
                detail: "unknown configuration '\(configuration.configuration)'")
        }
        return setting
    }

    /// The optimizer a trace names, over `parameters`.
    static func makeOptimizer(_ c: TraceFile.Configuration, parameters: [Tensor], path: String) throws -> () -> Void {
        switch c.optimizer {
        case "sgd":
            let sgd = SGD(
                parameters: parameters, lr: c.lr, momentum: c.momentum, dampening: c.dampening,
                weightDecay: c.weightDecay, nesterov: c.nesterov)
            return {
                sgd.step()
                sgd.zeroGrad()
            }
        case "adam":
            let adam = Adam(parameters: parameters, lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay)
            return {
                adam.step()
                adam.zeroGrad()
            }
        case "adamw":
            let adamw = AdamW(parameters: parameters, lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay)
            return {
                adamw.step()
                adamw.zeroGrad()
            }
        default:
            throw TraceError.malformed(path: path, item: "/", detail: "unknown optimizer '\(c.optimizer)'")
        }
    }

    /// Replays the trace; `initialState` (e.g. from `--weights`) replaces the portable initial weights.
    public static func run(_ trace: TraceFile, initialState: [(key: String, value: Tensor)]? = nil) throws -> [Check] {
        let c = trace.configuration
        let model = try makeModel(c, path: trace.path)
        PortableInit.apply(to: model, seed: c.initSeed, zeroInitResidual: c.zeroInitResidual)
        if let initialState { try model.loadStateDict(initialState) }
        try setting(c, path: trace.path).apply(to: model)
        let inputShape = [c.batch, 3, c.inputSize, c.inputSize]
        let input =
            trace.root.contains("input")
            ? try trace.tensor("input") : PortableInit.input(shape: inputShape, seed: c.initSeed)
        guard input.shape == inputShape else {
            throw TraceError.shapeMismatch(path: trace.path, item: "input", expected: inputShape, found: input.shape)
        }
        guard trace.root.contains("target") else { throw TraceError.missing(path: trace.path, item: "target") }
        let target = try trace.root.read("target", as: Int64.self).values.map { Int($0) }
        guard target.count == c.batch else {
            throw TraceError.malformed(
                path: trace.path, item: "target",
                detail: "\(target.count) targets for a batch of \(c.batch)")
        }
        if let bad = target.first(where: { !(0..<c.numClasses).contains($0) }) {
            throw TraceError.malformed(
                path: trace.path, item: "target",
                detail: "target \(bad) is outside 0..<\(c.numClasses) (num_classes)")
        }
        let initial = Dictionary(model.stateDict().map { ($0.key, $0.value.copy()) }, uniquingKeysWith: { a, _ in a })
        let step = try makeOptimizer(c, parameters: model.trainableParameters(), path: trace.path)
        var checks: [Check] = []
        func check(
            _ phase: String, _ name: String, _ actual: Tensor, _ expected: Tensor,
            _ kind: TraceTolerances.Kind, item: String
        ) throws {
            let noise = try trace.float64Error(item)
            checks.append(
                Check(
                    phase: phase,
                    comparison: TensorComparison(
                        name: name, actual: actual, expected: expected,
                        tolerance: TraceTolerances.tolerance(kind, float64Error: noise)),
                    float64Error: noise))
        }

        // Step 1's forward, module by module.
        let recorder = ForwardRecorder(root: model)
        let logits = recorder.recording { model(input) }
        guard trace.root.contains("forward") else { throw TraceError.missing(path: trace.path, item: "forward") }
        let stored = try trace.names(in: "forward")
        for entry in stored {
            // Entries are "NNN_<module>": NNN is the hook call index of the complete forward pass.
            let name = String(entry.drop { $0 != "_" }.dropFirst())
            let index = Int(entry.prefix { $0 != "_" }) ?? -1
            let expected = try trace.tensor("forward/\(entry)")
            guard index >= 0, index < recorder.outputs.count, recorder.outputs[index].name == name else {
                let found = index >= 0 && index < recorder.outputs.count ? recorder.outputs[index].name : "none"
                throw TraceError.malformed(
                    path: trace.path, item: "forward/\(entry)",
                    detail: "call \(index) of this model's forward pass is '\(found)'")
            }
            try check("forward", name, recorder.outputs[index].output, expected, .activation, item: "forward/\(entry)")
        }
        if !c.forwardSubset && stored.count != recorder.outputs.count {
            throw TraceError.malformed(
                path: trace.path, item: "forward",
                detail: "\(stored.count) module outputs stored, this model produced \(recorder.outputs.count)")
        }
        try check("forward", "logits", logits, try trace.tensor("logits"), .logits, item: "logits")
        var loss = crossEntropy(logits, target: target)
        try check("loss", "loss", loss, try trace.tensor("loss"), .loss, item: "loss")
        loss.backward()

        // Step 1's gradients: present where PyTorch had them, absent where it did not.
        let parameters = Dictionary(model.namedParameters(), uniquingKeysWith: { a, _ in a })
        for name in try trace.names(in: "grads") {
            guard let parameter = parameters[name] else {
                throw TraceError.malformed(
                    path: trace.path, item: "grads/\(name)", detail: "this model has no parameter '\(name)'")
            }
            let expected = try trace.tensor("grads/\(name)")
            guard let grad = parameter.grad else {
                checks.append(
                    Check(
                        phase: "grads",
                        comparison: TensorComparison(
                            name: "\(name).grad (missing: this engine computed no gradient)", actual: [],
                            actualShape: [],
                            expected: expected.toArray(), expectedShape: expected.shape, tolerance: .exact)))
                continue
            }
            try check("grads", "\(name).grad", grad, expected, .gradient, item: "grads/\(name)")
        }
        for name in try trace.listAttribute("params_without_grad", of: "grads") {
            let grad = parameters[name]?.grad
            checks.append(
                Check(
                    phase: "grads",
                    comparison: TensorComparison(
                        name: "\(name).grad is None", actual: grad == nil ? [] : [1],
                        actualShape: grad == nil ? [] : [1],
                        expected: [], expectedShape: [], tolerance: .exact)))
        }

        // Optimizer steps and the state after each.
        for k in 1...max(c.steps, 1) where c.steps > 0 {
            if k > 1 {
                let output = model(input)
                loss = crossEntropy(output, target: target)
                loss.backward()
            }
            try check("step \(k)", "loss", loss, try trace.tensor("steps/\(k)/loss"), .loss, item: "steps/\(k)/loss")
            step()
            let state = Dictionary(model.stateDict().map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            for name in try trace.names(in: "steps/\(k)/state") {
                guard let actual = state[name] else {
                    throw TraceError.malformed(
                        path: trace.path, item: "steps/\(k)/state/\(name)", detail: "this model has no state '\(name)'")
                }
                let item = "steps/\(k)/state/\(name)"
                let expected =
                    try trace.root.info(item).elementType == .int64
                    ? Tensor(shape: [], values: [Float(try trace.root.read(item, as: Int64.self).values.first ?? -1)])
                    : try trace.tensor(item)
                try check("step \(k)", name, actual, expected, .state, item: item)
            }
            for name in try trace.listAttribute("unchanged", of: "steps/\(k)/state") {
                guard let actual = state[name], let before = initial[name] else { continue }
                checks.append(
                    Check(
                        phase: "step \(k)",
                        comparison: TensorComparison(
                            name: "\(name) (unchanged)", actual: actual, expected: before, tolerance: .exact)))
            }
        }
        return checks
    }
}
