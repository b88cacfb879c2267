import NN
import Optim
import Tensors

/// Replays a ``TraceFile`` in this engine - the same model, initial weights, freezing, input, loss and optimizer -
/// and compares everything PyTorch recorded, in the order it happened: end to end (our run against PyTorch's) and,
/// for schema 2 traces, locally (each module fed PyTorch's stored input and output gradient, each optimizer step
/// taken from PyTorch's stored state before it), so that errors cannot compound and local tolerances stay tight.
/// Discrete choices that flip on a near-tie (a ReLU sign, a max-pool winner, the sign of a gradient Adam normalises)
/// are reported as near-ties with both margins.
public enum TraceReplay {
    /// Whether a check compares our whole run with PyTorch's, or one module or step fed PyTorch's own state.
    public enum Scope: String, Sendable {
        case endToEnd = "end-to-end"
        case local
    }

    /// One comparison, labelled with the phase it belongs to (`forward`, `loss`, `grads`, `step 2`).
    public struct Check {
        public let phase: String
        public let comparison: TensorComparison
        /// PyTorch's own float32-vs-float64 error for this tensor, when the trace records it.
        public var float64Error: Float? = nil
        public var scope: Scope = .endToEnd
        /// The part of the tolerance that grew with PyTorch's float64 error (absolute, beyond the base), and the
        /// largest |value| PyTorch stored: when the first exceeds ``informativeFraction`` of the second the check
        /// can no longer tell a right value from a wrong one.
        public var derivedTolerance: Float = 0
        public var expectedMax: Float = 0

        /// False when the tolerance derived from PyTorch's float64 error exceeds ``informativeFraction`` of the
        /// tensor's largest value: such a check is reported "not informative", never "passed".
        public var informative: Bool { derivedTolerance <= TraceReplay.informativeFraction * expectedMax }
    }

    /// A discrete choice that came out otherwise here than in PyTorch, with both margins: for a ReLU our and
    /// PyTorch's input value, for a max-pool the gap between the two candidates in our and PyTorch's input, for a
    /// gradient sign our and PyTorch's gradient.
    public struct NearTie: CustomStringConvertible {
        public let location: String
        public let index: [Int]
        public let ourMargin: Float
        public let torchMargin: Float
        /// How many checks were made before it (its place in replay order).
        public let position: Int
        /// Elements of the same tensor that flipped too.
        public let count: Int

        public var description: String {
            "\(location) element \(index): our margin \(ourMargin), PyTorch's \(torchMargin)"
                + (count > 1 ? " (\(count) elements flipped)" : "")
        }
    }

    /// What a replay gave.
    public struct Outcome {
        public var checks: [Check] = []
        public var nearTies: [NearTie] = []
    }

    /// A check whose float64-derived tolerance exceeds this fraction of the tensor's largest value says nothing.
    public static let informativeFraction: Float = 0.01

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
    static func makeOptimizer(
        _ c: TraceFile.Configuration, parameters: [Tensor], path: String
    ) throws
        -> any Optimizer
    {
        switch c.optimizer {
        case "sgd":
            return SGD(
                parameters: parameters, lr: c.lr, momentum: c.momentum, dampening: c.dampening,
                weightDecay: c.weightDecay, nesterov: c.nesterov)
        case "adam":
            return Adam(parameters: parameters, lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay)
        case "adamw":
            return AdamW(parameters: parameters, lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay)
        default:
            throw TraceError.malformed(path: path, item: "/", detail: "unknown optimizer '\(c.optimizer)'")
        }
    }

    /// The model at the trace's initial state, with its transfer setting applied (trainable parameters, modes).
    static func initialModel(_ trace: TraceFile, _ initialState: [(key: String, value: Tensor)]?) throws -> ResNet {
        let c = trace.configuration
        let model = try makeModel(c, path: trace.path)
        PortableInit.apply(to: model, seed: c.initSeed, zeroInitResidual: c.zeroInitResidual)
        if let initialState { try model.loadStateDict(initialState) }
        try setting(c, path: trace.path).apply(to: model)
        return model
    }

    /// Replays the trace; `initialState` (e.g. from `--weights`) replaces the portable initial weights.
    public static func run(_ trace: TraceFile, initialState: [(key: String, value: Tensor)]? = nil) throws -> Outcome {
        let c = trace.configuration
        let missing = trace.missingDeclaredDatasets()
        guard missing.isEmpty else {
            throw TraceError.malformed(
                path: trace.path, item: "contents",
                detail: "\(missing.count) declared dataset(s) missing: "
                    + missing.prefix(8).joined(separator: ", ") + (missing.count > 8 ? ", ..." : ""))
        }
        let model = try initialModel(trace, initialState)
        let inputShape = [c.batch, 3, c.inputHeight, c.inputWidth]
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
        let trainable = model.namedParameters().filter { $0.1.requiresGrad }.map(\.0)
        guard trace.root.contains("forward") else { throw TraceError.missing(path: trace.path, item: "forward") }
        try checkSchema1Coverage(trace, trainable: trainable)
        let optimizer = try makeOptimizer(c, parameters: model.trainableParameters(), path: trace.path)
        var outcome = Outcome()
        func check(
            _ phase: String, _ name: String, _ actual: Tensor, _ expected: Tensor,
            _ kind: TraceTolerances.Kind, item: String
        ) throws {
            let noise = try trace.float64Error(item)
            let tolerance = TraceTolerances.tolerance(kind, float64Error: noise)
            outcome.checks.append(
                Check(
                    phase: phase,
                    comparison: TensorComparison(name: name, actual: actual, expected: expected, tolerance: tolerance),
                    float64Error: noise, derivedTolerance: tolerance.absolute - kind.base.absolute,
                    expectedMax: maxMagnitude(expected)))
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
            if trace.root.contains("forward_inputs/\(entry)") {
                let torchInput = try trace.tensor("forward_inputs/\(entry)")
                let module = try self.module(model, name, trace)
                if let tie = discreteFlip(
                    module, ours: recorder.inputs[index], torch: torchInput, location: "forward \(entry)",
                    position: outcome.checks.count)
                {
                    outcome.nearTies.append(tie)
                }
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
        func checkGradients(_ phase: String, of model: ResNet) throws {
            let parameters = Dictionary(model.namedParameters(), uniquingKeysWith: { a, _ in a })
            for name in try trace.names(in: "grads") {
                guard let parameter = parameters[name] else {
                    throw TraceError.malformed(
                        path: trace.path, item: "grads/\(name)", detail: "this model has no parameter '\(name)'")
                }
                let expected = try trace.tensor("grads/\(name)")
                guard let grad = parameter.grad else {
                    outcome.checks.append(
                        Check(
                            phase: phase,
                            comparison: TensorComparison(
                                name: "\(name).grad (missing: this engine computed no gradient)", actual: [],
                                actualShape: [],
                                expected: expected.toArray(), expectedShape: expected.shape, tolerance: .exact)))
                    continue
                }
                try check(phase, "\(name).grad", grad, expected, .gradient, item: "grads/\(name)")
            }
            for name in try trace.listAttribute("params_without_grad", of: "grads") {
                let grad = parameters[name]?.grad
                outcome.checks.append(
                    Check(
                        phase: phase,
                        comparison: TensorComparison(
                            name: "\(name).grad is None", actual: grad == nil ? [] : [1],
                            actualShape: grad == nil ? [] : [1],
                            expected: [], expectedShape: [], tolerance: .exact)))
            }
        }
        try checkGradients("grads", of: model)
        let parameters = Dictionary(model.namedParameters(), uniquingKeysWith: { a, _ in a })

        // Step 1 once more on the model's own path, where that is not the module-by-module one the recorder forces
        // (channels-last training blocks: wide models at a batch of one image per core or more), on a second copy
        // of the initial model: the same logits, loss and gradients, within the same tolerances.
        if model.channelsLastTrainingPlan(forInput: inputShape)?.first == true {
            let own = try initialModel(trace, initialState)
            let ownLogits = own(input)
            try check("own path", "logits", ownLogits, try trace.tensor("logits"), .logits, item: "logits")
            let ownLoss = crossEntropy(ownLogits, target: target)
            try check("own path", "loss", ownLoss, try trace.tensor("loss"), .loss, item: "loss")
            ownLoss.backward()
            try checkGradients("own path", of: own)
        }

        // Optimizer steps and the state after each.
        for k in 1...max(c.steps, 1) where c.steps > 0 {
            if k > 1 {
                let output = model(input)
                loss = crossEntropy(output, target: target)
                loss.backward()
            }
            try check("step \(k)", "loss", loss, try trace.tensor("steps/\(k)/loss"), .loss, item: "steps/\(k)/loss")
            if c.optimizer != "sgd" && trace.root.contains("steps/\(k)/before/grads") {
                for name in trainable where trace.root.contains("steps/\(k)/before/grads/\(name)") {
                    guard let grad = parameters[name]?.grad else { continue }
                    if let tie = signFlip(
                        ours: grad, torch: try trace.tensor("steps/\(k)/before/grads/\(name)"),
                        location: "step \(k) gradient sign of \(name) (Adam normalises it to +-lr)",
                        position: outcome.checks.count)
                    {
                        outcome.nearTies.append(tie)
                    }
                }
            }
            optimizer.step()
            optimizer.zeroGrad()
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
                outcome.checks.append(
                    Check(
                        phase: "step \(k)",
                        comparison: TensorComparison(
                            name: "\(name) (unchanged)", actual: actual, expected: before, tolerance: .exact)))
            }
        }
        outcome.checks += try localChecks(trace, initialState: initialState, initial: initial, trainable: trainable)
        return outcome
    }

    /// The submodule `name` of `model`, or an error naming the trace.
    static func module(_ model: Module, _ name: String, _ trace: TraceFile) throws -> Module {
        guard let module = model.namedModules().first(where: { $0.0 == name })?.1 else {
            throw TraceError.malformed(path: trace.path, item: name, detail: "this model has no module '\(name)'")
        }
        return module
    }

    /// A schema 1 trace declares nothing: its gradients must cover every trainable parameter (unless
    /// `grads_subset`), and every step must store the loss and every trainable parameter.
    static func checkSchema1Coverage(_ trace: TraceFile, trainable: [String]) throws {
        guard trace.schemaVersion < 2 else { return }
        var missing: [String] = []
        if !trace.configuration.gradsSubset {
            missing += trainable.filter { !trace.root.contains("grads/\($0)") }.map { "grads/\($0)" }
        }
        for k in 1...max(trace.configuration.steps, 1) where trace.configuration.steps > 0 {
            if !trace.root.contains("steps/\(k)/loss") { missing.append("steps/\(k)/loss") }
            missing += trainable.filter { !trace.root.contains("steps/\(k)/state/\($0)") }
                .map { "steps/\(k)/state/\($0)" }
        }
        guard missing.isEmpty else {
            throw TraceError.malformed(
                path: trace.path, item: "/",
                detail: "\(missing.count) dataset(s) a trace of this model must hold are missing: "
                    + missing.prefix(8).joined(separator: ", ") + (missing.count > 8 ? ", ..." : ""))
        }
    }

    static func maxMagnitude(_ tensor: Tensor) -> Float {
        tensor.toArray().reduce(0) { max($0, abs($1)) }
    }
}
