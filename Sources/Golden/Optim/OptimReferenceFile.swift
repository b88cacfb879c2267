import HDF5
import Tensors

/// `Fixtures/references/optim.h5`, written by `Fixtures/generate_references.py optim` (schema:
/// Fixtures/references/OPTIM_SCHEMA.md): recorded PyTorch optimizer runs under `/optimizers` and learning-rate
/// schedules under `/schedulers`.
public struct OptimReferenceFile {
    /// The default location, relative to the package root.
    public static let defaultRelativePath = "Fixtures/references/optim.h5"

    public let path: String
    let file: HDF5File
    public let optimizerCaseNames: [String]
    public let scheduleCaseNames: [String]

    public init(path: String) throws {
        self.path = path
        file = try HDF5File(path: path)
        for folder in ["optimizers", "schedulers"] where !file.root.contains(folder) {
            throw OptimReferenceError.missingGroup(source: path, name: folder)
        }
        optimizerCaseNames = try file.root.group("optimizers").groupNames()
        scheduleCaseNames = try file.root.group("schedulers").groupNames()
    }

    /// The root attributes (provenance), with accessors that name the file when one is missing.
    public func rootAttributes() throws -> AttributeReader { try AttributeReader(file.root) }

    /// One recorded optimizer run.
    public func optimizerCase(_ name: String) throws -> OptimizerCase { try OptimizerCase(file: self, name: name) }

    func group(_ path: String) throws -> HDF5Group {
        guard file.root.contains(path) else { throw OptimReferenceError.missingGroup(source: self.path, name: path) }
        return try file.root.group(path)
    }
}

/// A reference file lacks something a replay needs; each names the file, the group and the key.
public enum OptimReferenceError: Error, CustomStringConvertible {
    case missingAttribute(source: String, name: String)
    case missingGroup(source: String, name: String)
    case malformed(source: String, detail: String)

    public var description: String {
        switch self {
        case .missingAttribute(let source, let name): "\(source): attribute \(name) is missing or has another type"
        case .missingGroup(let source, let name): "\(source): group '\(name)' is missing"
        case .malformed(let source, let detail): "\(source): \(detail)"
        }
    }
}

/// The attributes of one HDF5 group, with typed accessors that name the group and key when something is missing.
public struct AttributeReader {
    public let source: String
    public let values: [String: HDF5AttributeValue]

    public init(_ group: HDF5Group) throws {
        source = "\(group.file.path):\(group.path)"
        values = try group.attributes()
    }

    public var keys: Set<String> { Set(values.keys) }

    public func string(_ key: String) throws -> String {
        guard case .string(let value)? = values[key] else { throw missing(key) }
        return value
    }

    public func int(_ key: String) throws -> Int {
        guard case .int64(let value)? = values[key] else { throw missing(key) }
        return Int(value)
    }

    public func ints(_ key: String) throws -> [Int] {
        guard case .int64Array(let value)? = values[key] else { throw missing(key) }
        return value.map { Int($0) }
    }

    public func doubles(_ key: String) throws -> [Double] {
        guard case .float64Array(let value)? = values[key] else { throw missing(key) }
        return value
    }

    /// A float option, or `nil` when the group does not set it.
    public func double(_ key: String) throws -> Double? {
        guard let value = values[key] else { return nil }
        guard case .float64(let number) = value else { throw missing(key) }
        return number
    }

    /// A float attribute the group must set.
    public func requiredDouble(_ key: String) throws -> Double {
        guard let value = try double(key) else { throw missing(key) }
        return value
    }

    /// A flag stored as int 0/1, or `nil` when the group does not set it.
    public func flag(_ key: String) throws -> Bool? {
        guard let value = values[key] else { return nil }
        guard case .int64(let number) = value else { throw missing(key) }
        return number != 0
    }

    /// The `betas` pair, or `nil` when the group does not set it.
    public func betas() throws -> (Double, Double)? {
        guard values["betas"] != nil else { return nil }
        let pair = try doubles("betas")
        guard pair.count == 2 else { throw missing("betas") }
        return (pair[0], pair[1])
    }

    private func missing(_ key: String) -> OptimReferenceError {
        .missingAttribute(source: source, name: key)
    }
}

extension Tensor {
    /// Row `index` of a stacked tensor `[steps, ...]`, as a new tensor of the remaining shape.
    func stackedRow(_ index: Int) -> Tensor {
        let shape = Array(self.shape.dropFirst())
        let size = shape.reduce(1, *)
        return Tensor(shape: shape, values: Array(toArray()[index * size..<(index + 1) * size]))
    }
}
