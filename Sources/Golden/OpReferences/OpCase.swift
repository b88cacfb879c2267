import HDF5
import Tensors

/// One recorded PyTorch call of an operation, as stored by `Fixtures/generate_references.py ops`
/// (schema: Fixtures/references/SCHEMA.md): its inputs, parameters, upstream gradient, and the output, input
/// gradients and post-call state PyTorch produced.
public struct OpCase {
    public let name: String
    /// The op, e.g. `conv2d` (a torch.nn.functional name).
    public let op: String
    /// What bug the case is meant to catch.
    public let summary: String
    public let attributes: [String: HDF5AttributeValue]
    /// Float inputs by name (`input`, `weight`, ...).
    public let inputs: [String: Tensor]
    /// Integer inputs by name (cross-entropy's `target`).
    public let integerInputs: [String: [Int]]
    public let gradOutput: Tensor
    public let expectedOutput: Tensor
    /// Gradients PyTorch computed; an input requires grad exactly when it has one here.
    public let expectedGrads: [String: Tensor]
    /// Float state after the call (batch-norm running statistics).
    public let expectedState: [String: Tensor]
    /// Integer state after the call (`num_batches_tracked`).
    public let expectedIntegerState: [String: Int64]
    /// Where the case was read from, for messages.
    public let source: String
    /// PyTorch's own rounding error per computed float tensor (`outputs/output`, `grads/<name>`, `state/<name>`):
    /// max |float32 result - the same call in float64| (the dataset attribute `float64_error`).
    public let float64Errors: [String: Float]
    /// The longest float32 sum behind one element of each computed tensor (the attribute `reduction_length`).
    public let reductionLengths: [String: Int]

    /// Reads the case stored in `group` (`/cases/<name>`).
    public init(group: HDF5Group) throws {
        source = "\(group.file.path):\(group.path)"
        name = String(group.path.split(separator: "/").last ?? "")
        attributes = try group.attributes()
        guard case .string(let op)? = attributes["op"] else {
            throw OpReferenceError.missingAttribute(source: source, name: "op")
        }
        self.op = op
        if case .string(let text)? = attributes["description"] { summary = text } else { summary = "" }
        var inputs: [String: Tensor] = [:]
        var integerInputs: [String: [Int]] = [:]
        let inputGroup = try group.group("inputs")
        for key in try inputGroup.datasetNames() {
            switch try inputGroup.info(key).elementType {
            case .int64: integerInputs[key] = try inputGroup.read(key, as: Int64.self).values.map { Int($0) }
            default: inputs[key] = try inputGroup.readTensor(key)
            }
        }
        self.inputs = inputs
        self.integerInputs = integerInputs
        gradOutput = try group.readTensor("grad_output")
        expectedOutput = try group.readTensor("outputs/output")
        var grads: [String: Tensor] = [:]
        if group.contains("grads") {
            let gradGroup = try group.group("grads")
            for key in try gradGroup.datasetNames() { grads[key] = try gradGroup.readTensor(key) }
        }
        expectedGrads = grads
        var state: [String: Tensor] = [:]
        var integerState: [String: Int64] = [:]
        if group.contains("state") {
            let stateGroup = try group.group("state")
            for key in try stateGroup.datasetNames() {
                if try stateGroup.info(key).elementType == .int64 {
                    integerState[key] = try stateGroup.read(key, as: Int64.self).values.first
                } else {
                    state[key] = try stateGroup.readTensor(key)
                }
            }
        }
        expectedState = state
        expectedIntegerState = integerState
        var errors: [String: Float] = [:]
        var lengths: [String: Int] = [:]
        let computed = ["outputs/output"] + grads.keys.map { "grads/\($0)" } + state.keys.map { "state/\($0)" }
        for path in computed {
            let tensorAttributes = try group.attributes(of: path)
            guard case .float64(let error)? = tensorAttributes["float64_error"], error.isFinite, error >= 0 else {
                throw OpReferenceError.missingAttribute(source: "\(source)/\(path)", name: "float64_error")
            }
            guard case .int64(let length)? = tensorAttributes["reduction_length"], length >= 1 else {
                throw OpReferenceError.missingAttribute(source: "\(source)/\(path)", name: "reduction_length")
            }
            errors[path] = Float(error)
            lengths[path] = Int(length)
        }
        float64Errors = errors
        reductionLengths = lengths
    }

    /// An integer attribute (`stride` etc.); a pair attribute read as one integer takes its first value.
    public func integer(_ key: String) throws -> Int {
        switch attributes[key] {
        case .int64(let value)?: return Int(value)
        case .int64Array(let values)? where !values.isEmpty: return Int(values[0])
        default: throw OpReferenceError.missingAttribute(source: source, name: key)
        }
    }

    /// A (height, width) attribute stored as an int64 pair or a single int64.
    public func pair(_ key: String) throws -> IntPair {
        switch attributes[key] {
        case .int64(let value)?: return IntPair(Int(value))
        case .int64Array(let values)? where values.count == 2: return IntPair(Int(values[0]), Int(values[1]))
        default: throw OpReferenceError.missingAttribute(source: source, name: key)
        }
    }

    /// A float attribute, or `nil` when absent (batch-norm's `momentum=None`).
    func float(_ key: String) throws -> Float? {
        switch attributes[key] {
        case nil: return nil
        case .float64(let value)?: return Float(value)
        case .int64(let value)?: return Float(value)
        default: throw OpReferenceError.missingAttribute(source: source, name: key)
        }
    }

    func string(_ key: String) throws -> String {
        guard case .string(let value)? = attributes[key] else {
            throw OpReferenceError.missingAttribute(source: source, name: key)
        }
        return value
    }
}

/// Problems with a stored op reference file; each names the file and the path inside it.
public enum OpReferenceError: Error, CustomStringConvertible {
    case missingAttribute(source: String, name: String)
    case missingTensor(source: String, name: String)
    case unknownOp(source: String, op: String)

    public var description: String {
        switch self {
        case .missingAttribute(let source, let name): return "\(source): missing or malformed attribute '\(name)'"
        case .missingTensor(let source, let name): return "\(source): missing dataset '\(name)'"
        case .unknownOp(let source, let op): return "\(source): unknown op '\(op)' (this engine has no replay for it)"
        }
    }
}
