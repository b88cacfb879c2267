import HDF5
import Optim
import Tensors

/// One recorded PyTorch optimizer run (`/optimizers/<name>` of optim.h5): the options, the groups as given and as
/// torch resolved them, every parameter's gradients and values per step, and the state after the last step.
public struct OptimizerCase {
    /// A parameter group: the indices of its parameters, the options it sets, and all options as torch filled them.
    public struct Group {
        public let params: [Int]
        public let given: AttributeReader
        public let resolved: AttributeReader
    }

    /// One parameter: its initial value, and per step its gradient (`nil` when torch's `.grad` was `None`) and
    /// its value after the step.
    public struct Param {
        public let initial: Tensor
        public let grads: [Tensor?]
        public let values: [Tensor]
    }

    /// What torch's `optimizer.state[p]` held after the last step.
    public struct State {
        public let tensors: [String: Tensor]
        public let step: Int?
    }

    public let name: String
    /// `<file>:/optimizers/<name>`, for messages.
    public let source: String
    public let optimizer: String
    public let steps: Int
    public let usesGroups: Bool
    public let options: AttributeReader
    public let groups: [Group]
    public let params: [Param]
    /// By parameter index; a parameter torch kept no state for is absent.
    public let state: [Int: State]

    init(file: OptimReferenceFile, name: String) throws {
        let node = try file.group("optimizers/\(name)")
        let source = "\(file.path):/optimizers/\(name)"
        let attributes = try AttributeReader(node)
        self.name = name
        self.source = source
        optimizer = try attributes.string("optimizer")
        steps = try attributes.int("steps")
        guard steps >= 0 else { throw OptimReferenceError.malformed(source: source, detail: "steps is \(steps)") }
        usesGroups = try attributes.int("uses_groups") != 0
        options = try AttributeReader(node.group("options"))
        let groupFolder = try node.group("groups")
        groups = try groupFolder.groupNames().sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.map { number in
            let group = try groupFolder.group(number)
            let resolved = try AttributeReader(group)
            return Group(
                params: try resolved.ints("params"), given: try AttributeReader(group.group("given")),
                resolved: resolved)
        }
        let paramFolder = try node.group("params")
        let steps = steps
        let params = try (0..<paramFolder.groupNames().count).map { index in
            guard paramFolder.contains("p\(index)") else {
                throw OptimReferenceError.missingGroup(source: source, name: "params/p\(index)")
            }
            let folder = try paramFolder.group("p\(index)")
            let initial = try folder.readTensor("initial")
            let grads = try folder.readTensor("grads")
            let hasGrad = try folder.read("has_grad", as: Int64.self).values
            let values = try folder.readTensor("values")
            for (key, shape) in [("grads", grads.shape), ("values", values.shape)]
            where shape != [steps] + initial.shape {
                throw OptimReferenceError.malformed(
                    source: source,
                    detail: "params/p\(index)/\(key) has shape \(shape), expected \([steps] + initial.shape)")
            }
            guard hasGrad.count == steps else {
                throw OptimReferenceError.malformed(
                    source: source, detail: "params/p\(index)/has_grad has \(hasGrad.count) entries for \(steps) steps")
            }
            return Param(
                initial: initial, grads: (0..<steps).map { hasGrad[$0] != 0 ? grads.stackedRow($0) : nil },
                values: (0..<steps).map { values.stackedRow($0) })
        }
        self.params = params
        for group in groups {
            if let bad = group.params.first(where: { !params.indices.contains($0) }) {
                throw OptimReferenceError.malformed(
                    source: source, detail: "a group names parameter \(bad) of \(params.count)")
            }
        }
        let stateFolder = try node.group("state")
        var state: [Int: State] = [:]
        for key in try stateFolder.groupNames() {
            let folder = try stateFolder.group(key)
            let tensors = try folder.datasetNames().map { ($0, try folder.readTensor($0)) }
            let attributes = try AttributeReader(folder)
            let step = attributes.keys.contains("step") ? try attributes.int("step") : nil
            guard key.first == "p", let index = Int(key.dropFirst()) else {
                throw OptimReferenceError.malformed(source: source, detail: "state/\(key) is not named p<index>")
            }
            state[index] = State(tensors: Dictionary(uniqueKeysWithValues: tensors), step: step)
        }
        self.state = state
    }

    /// The optimizer this case describes over `tensors`: options the case does not set keep the Swift
    /// initializers' defaults, so that comparing the resolved groups with torch's also checks those defaults.
    public func makeOptimizer(over tensors: [Tensor]) throws -> any Optimizer {
        let groupSpecs = try groups.map { group in
            ParamGroup(
                params: group.params.map { tensors[$0] }, lr: try group.given.double("lr"),
                momentum: try group.given.double("momentum"), dampening: try group.given.double("dampening"),
                weightDecay: try group.given.double("weight_decay"), nesterov: try group.given.flag("nesterov"),
                betas: try group.given.betas(), eps: try group.given.double("eps"),
                amsgrad: try group.given.flag("amsgrad"), maximize: try group.given.flag("maximize"))
        }
        let o = options
        switch optimizer {
        case "sgd":
            let d = SGD(parameters: [Tensor(0)]).defaults
            let (lr, momentum, dampening) = (
                try o.double("lr") ?? d.lr, try o.double("momentum") ?? d.momentum,
                try o.double("dampening") ?? d.dampening
            )
            let (weightDecay, nesterov, maximize) = (
                try o.double("weight_decay") ?? d.weightDecay,
                try o.flag("nesterov") ?? d.nesterov,
                try o.flag("maximize") ?? d.maximize
            )
            return usesGroups
                ? SGD(
                    groups: groupSpecs, lr: lr, momentum: momentum, dampening: dampening, weightDecay: weightDecay,
                    nesterov: nesterov, maximize: maximize)
                : SGD(
                    parameters: tensors, lr: lr, momentum: momentum, dampening: dampening,
                    weightDecay: weightDecay, nesterov: nesterov, maximize: maximize)
        case "adam", "adamw":
            let d =
                optimizer == "adam"
                ? Adam(parameters: [Tensor(0)]).defaults
                : AdamW(parameters: [Tensor(0)]).defaults
            let (lr, betas, eps) = (try o.double("lr") ?? d.lr, try o.betas() ?? d.betas, try o.double("eps") ?? d.eps)
            let (weightDecay, amsgrad, maximize) = (
                try o.double("weight_decay") ?? d.weightDecay,
                try o.flag("amsgrad") ?? d.amsgrad,
                try o.flag("maximize") ?? d.maximize
            )
            switch (optimizer, usesGroups) {
            case ("adam", true):
                return Adam(
                    groups: groupSpecs, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                    amsgrad: amsgrad, maximize: maximize)
            case ("adam", false):
                return Adam(
                    parameters: tensors, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                    amsgrad: amsgrad, maximize: maximize)
            case (_, true):
                return AdamW(
                    groups: groupSpecs, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                    amsgrad: amsgrad, maximize: maximize)
            default:
                return AdamW(
                    parameters: tensors, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                    amsgrad: amsgrad, maximize: maximize)
            }
        default:
            throw OptimReferenceError.missingAttribute(
                source: source, name: "optimizer (unknown value \(optimizer))")
        }
    }
}
