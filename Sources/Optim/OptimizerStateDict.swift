import Tensors

/// An optimizer's state in the shape `torch.optim.Optimizer.state_dict()` gives it: the per-parameter state
/// tensors, keyed by each parameter's position when the groups' parameters are numbered one after the other, and
/// each group's hyperparameters with the positions of its parameters.
///
///     state:        [0: ["momentum_buffer": ...], 1: [...], ...]             (SGD)
///                   [0: ["step": 0-d, "exp_avg": ..., "exp_avg_sq": ...]]     (Adam, AdamW)
///     paramGroups:  [Group(params: [0, 1, ...], options: ["lr": .number(0.01), "nesterov": .flag(false), ...])]
///
/// Parameters that never had a gradient have no entry in `state`, as in PyTorch. The tensors are copies: saving
/// the dict, or stepping the optimizer afterwards, changes neither the other.
public struct OptimizerStateDict {
    /// One `param_groups` entry: the positions of the group's parameters and its hyperparameters by PyTorch's
    /// names (`lr`, `momentum`, `dampening`, `weight_decay`, `nesterov`, `maximize`, `betas`, `eps`, `amsgrad`,
    /// `initial_lr` once a scheduler has seen the group).
    public struct Group: Codable, Equatable, Sendable {
        public var params: [Int]
        public var options: [String: OptimizerOption]

        public init(params: [Int], options: [String: OptimizerOption]) {
            self.params = params
            self.options = options
        }
    }

    /// The state tensors of each parameter that has state, by position.
    public var state: [Int: [String: Tensor]]
    public var paramGroups: [Group]

    public init(state: [Int: [String: Tensor]], paramGroups: [Group]) {
        self.state = state
        self.paramGroups = paramGroups
    }
}

/// One hyperparameter value of a parameter group: a number, a flag, or a tuple of numbers (`betas`).
public enum OptimizerOption: Codable, Equatable, Sendable {
    case number(Double)
    case flag(Bool)
    case numbers([Double])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .numbers(try container.decode([Double].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .number(value): try container.encode(value)
        case let .flag(value): try container.encode(value)
        case let .numbers(values): try container.encode(values)
        }
    }
}

/// Why ``Optimizer/loadStateDict(_:)`` refused a state dict; nothing was changed. The messages are PyTorch's where
/// it has one (`Optimizer.load_state_dict`).
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension OptimizerStateDict {
    /// Checks that `stateDict` fits `groups` (the optimizer's parameter groups, as lists of parameters): the same
    /// number of groups, the same number of parameters in each, state only for existing parameters, each tensor
    /// named in `allowed` and shaped as its parameter.
    ///
    /// - Returns: the parameters in position order.
    func validate(against groups: [[Tensor]], allowed: Set<String>, scalar: Set<String> = []) throws -> [Tensor] {
        guard paramGroups.count == groups.count else {
            throw OptimizerStateError(
                "loaded state dict has \(paramGroups.count) parameter groups, the optimizer has \(groups.count)")
        }
        for (saved, current) in zip(paramGroups, groups) where saved.params.count != current.count {
            throw OptimizerStateError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group "
                    + "(\(saved.params.count) parameters saved, \(current.count) in the optimizer)")
        }
        let parameters = groups.flatMap { $0 }
        let positions = paramGroups.flatMap(\.params)
        guard positions == Array(0..<parameters.count) else {
            throw OptimizerStateError("the parameter groups do not number the parameters 0..<\(parameters.count)")
        }
        for position in state.keys.sorted() {
            let tensors = state[position]!
            guard parameters.indices.contains(position) else {
                throw OptimizerStateError("state for parameter \(position), but there are \(parameters.count)")
            }
            for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
                guard allowed.contains(name) else {
                    throw OptimizerStateError("state of parameter \(position): unknown entry \"\(name)\"")
                }
                let expected = scalar.contains(name) ? [] : parameters[position].shape
                guard tensor.shape == expected else {
                    throw OptimizerStateError(
                        "state \"\(name)\" of parameter \(position) has shape \(tensor.shape), expected \(expected)")
                }
            }
        }
        return parameters
    }

    /// The number named `name` in `options`, else `fallback`.
    static func number(_ options: [String: OptimizerOption], _ name: String, else fallback: Double) throws -> Double {
        switch options[name] {
        case nil: return fallback
        case let .number(value)?: return value
        default: throw OptimizerStateError("parameter group option \"\(name)\" is not a number")
        }
    }

    /// The number named `name` in `options` if present, else `fallback` (which may be nil: `initial_lr`).
    static func optionalNumber(
        _ options: [String: OptimizerOption], _ name: String, else fallback: Double?
    ) throws -> Double? {
        options[name] == nil ? fallback : try number(options, name, else: 0)
    }

    /// The flag named `name` in `options`, else `fallback`.
    static func flag(_ options: [String: OptimizerOption], _ name: String, else fallback: Bool) throws -> Bool {
        switch options[name] {
        case nil: return fallback
        case let .flag(value)?: return value
        default: throw OptimizerStateError("parameter group option \"\(name)\" is not true or false")
        }
    }
}
