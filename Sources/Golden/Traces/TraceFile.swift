import HDF5
import Tensors

/// A whole-model PyTorch training trace recorded by `Fixtures/generate_references.py traces` (schema:
/// Fixtures/references/TRACES.md): the model and optimizer configuration, the input, and what PyTorch computed -
/// every module's output, the loss, every gradient, and the state after each optimizer step.
public struct TraceFile {
    /// How the trace's model was built and trained (root attributes).
    public struct Configuration: Sendable {
        public var model: String
        public var baseWidth: Int
        public var numClasses: Int
        public var zeroInitResidual: Bool
        /// The input is `[batch, 3, inputHeight, inputWidth]` (schema 2; schema 1's square `input_size`).
        public var inputHeight: Int
        public var inputWidth: Int
        public var batch: Int
        /// `full`, `frozen_train`, `frozen_eval` or `layer4_fc`.
        public var configuration: String
        /// `sgd`, `adam` or `adamw`.
        public var optimizer: String
        public var lr: Double
        public var momentum: Double
        public var dampening: Double
        public var nesterov: Bool
        public var weightDecay: Double
        public var betas: (Double, Double)
        public var eps: Double
        public var steps: Int
        public var initSeed: UInt64
        /// The stored forward outputs and gradients cover only some modules and parameters.
        public var forwardSubset: Bool
        public var gradsSubset: Bool
    }

    /// The newest trace schema this replay reads. Schema 2 adds non-square inputs, the `contents` list, module
    /// inputs and output gradients for teacher forcing, and per step PyTorch's state before the step.
    public static let supportedSchema = 2

    public let path: String
    public let configuration: Configuration
    /// The file's `schema_version` (1 when absent).
    public let schemaVersion: Int
    /// What the file declares it holds (schema 2's `contents`), every entry checked to exist.
    public let contents: [String]
    let file: HDF5File

    public init(path: String) throws {
        self.path = path
        file = try HDF5File(path: path)
        let attributes = try file.root.attributes()
        func value(_ key: String) throws -> HDF5AttributeValue {
            guard let value = attributes[key] else {
                throw TraceError.malformed(path: path, item: "/", detail: "missing attribute '\(key)'")
            }
            return value
        }
        func string(_ key: String) throws -> String {
            guard case .string(let text) = try value(key) else {
                throw TraceError.malformed(path: path, item: "/", detail: "attribute '\(key)' is not a string")
            }
            return text
        }
        func integer(_ key: String, default fallback: Int? = nil) throws -> Int {
            if attributes[key] == nil, let fallback { return fallback }
            guard case .int64(let number) = try value(key) else {
                throw TraceError.malformed(path: path, item: "/", detail: "attribute '\(key)' is not an integer")
            }
            return Int(number)
        }
        func natural(_ key: String, atLeast minimum: Int) throws -> Int {
            let number = try integer(key)
            guard number >= minimum else {
                throw TraceError.malformed(
                    path: path, item: "/",
                    detail: "attribute '\(key)' is \(number), "
                        + "expected at least \(minimum)")
            }
            return number
        }
        func real(_ key: String, default fallback: Double) throws -> Double {
            switch attributes[key] {
            case nil: return fallback
            case .float64(let number)?: return number
            case .int64(let number)?: return Double(number)
            default: throw TraceError.malformed(path: path, item: "/", detail: "attribute '\(key)' is not a number")
            }
        }
        var betas = (0.9, 0.999)
        if case .float64Array(let pair)? = attributes["betas"], pair.count == 2 { betas = (pair[0], pair[1]) }
        guard try string("kind") == "trace" else {
            throw TraceError.malformed(path: path, item: "/", detail: "attribute 'kind' is not 'trace'")
        }
        schemaVersion = try integer("schema_version", default: 1)
        guard schemaVersion <= Self.supportedSchema else {
            throw TraceError.malformed(
                path: path, item: "/",
                detail: "schema_version \(schemaVersion) is newer than the \(Self.supportedSchema) this replay reads")
        }
        let height: Int
        let width: Int
        if attributes["input_height"] != nil || attributes["input_width"] != nil || schemaVersion >= 2 {
            (height, width) = (try natural("input_height", atLeast: 1), try natural("input_width", atLeast: 1))
        } else {
            let size = try natural("input_size", atLeast: 1)
            (height, width) = (size, size)
        }
        if schemaVersion >= 2 {
            contents = try string("contents").split(separator: "\n").map(String.init)
        } else {
            contents = []
        }
        configuration = Configuration(
            model: try string("model"), baseWidth: try natural("base_width", atLeast: 1),
            numClasses: try natural("num_classes", atLeast: 1),
            zeroInitResidual: try integer("zero_init_residual", default: 0) != 0,
            inputHeight: height, inputWidth: width,
            batch: try natural("batch", atLeast: 1), configuration: try string("configuration"),
            optimizer: try string("optimizer"),
            lr: try real("lr", default: 0), momentum: try real("momentum", default: 0),
            dampening: try real("dampening", default: 0), nesterov: try integer("nesterov", default: 0) != 0,
            weightDecay: try real("weight_decay", default: 0), betas: betas, eps: try real("eps", default: 1e-8),
            steps: try natural("steps", atLeast: 0), initSeed: UInt64(try natural("init_seed", atLeast: 0)),
            forwardSubset: try integer("forward_subset", default: 0) != 0,
            gradsSubset: try integer("grads_subset", default: 0) != 0)
    }

    var root: HDF5Group { file.root }

    /// The declared datasets that are missing from the file (empty for schema 1, which declares nothing).
    public func missingDeclaredDatasets() -> [String] {
        contents.filter { !root.contains($0) }
    }

    /// A float64 attribute of a group, or nil.
    func doubleAttribute(_ name: String, of group: String) throws -> Float? {
        guard root.contains(group), case .float64(let value)? = try root.group(group).attributes()[name] else {
            return nil
        }
        return Float(value)
    }

    /// A float32 dataset as a tensor, or an error naming the path in the file.
    func tensor(_ name: String) throws -> Tensor {
        guard root.contains(name) else { throw TraceError.missing(path: path, item: name) }
        return try root.readTensor(name)
    }

    /// How far PyTorch's own float32 value of dataset `item` is from its float64 twin run (the dataset's
    /// `float64_error` attribute): the floating-point noise of that tensor, whatever the engine.
    func float64Error(_ item: String) throws -> Float? {
        guard case .float64(let error)? = try root.attributes(of: item)["float64_error"] else { return nil }
        return Float(error)
    }

    /// Dataset names of a group, sorted; empty when the group is absent.
    func names(in group: String) throws -> [String] {
        root.contains(group) ? try root.group(group).datasetNames() : []
    }

    /// A newline-separated list attribute of a group (empty when absent).
    func listAttribute(_ name: String, of group: String) throws -> [String] {
        guard root.contains(group), case .string(let text)? = try root.group(group).attributes()[name] else {
            return []
        }
        return text.split(separator: "\n").map(String.init)
    }
}

/// A trace file that cannot be replayed; each names the file and the path inside it.
public enum TraceError: Error, CustomStringConvertible {
    case missing(path: String, item: String)
    case malformed(path: String, item: String, detail: String)
    case unknownModel(path: String, model: String)
    case shapeMismatch(path: String, item: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missing(let path, let item): return "\(path): missing '\(item)'"
        case .malformed(let path, let item, let detail): return "\(path): '\(item)': \(detail)"
        case .unknownModel(let path, let model):
            return "\(path): unknown model '\(model)' (expected resnet18, resnet34 or resnet50)"
        case .shapeMismatch(let path, let item, let expected, let found):
            return "\(path): '\(item)' has shape \(found), expected \(expected)"
        }
    }
}
